// SPDX-License-Identifier: Apache-2.0
// Entry point the hub runs (config/atelier.toml): node engines/remotion/dist/src/main.js.
// Environment (DESIGN §12): ATELIER_HUB_URL, ATELIER_ENGINE_TOKEN, ATELIER_SESSION_ID, ATELIER_WORKDIR,
// and ATELIER_HUB_SOCKET when the hub listens for engines on a Unix socket.
// Options: --no-preview (no Vite server), --chromium PATH (default $ATELIER_CHROMIUM or /usr/bin/chromium).
// Exit codes: 0 after engine/shutdown, 2 bad setup, 3 hello refused, 4 the hub went away.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemotionEngine } from './engine.js';

function fail(message: string): never {
  process.stderr.write(`remotion engine: ${message}\n`);
  process.exit(2);
}

function parseArguments(argv: string[]): { preview: boolean; chromium: string } {
  let preview = true;
  let chromium = process.env.ATELIER_CHROMIUM || '/usr/bin/chromium';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-preview') {
      preview = false;
    } else if (argv[i] === '--chromium' && i + 1 < argv.length) {
      chromium = argv[++i];
    } else {
      fail(`unknown option ${argv[i]} (known: --no-preview, --chromium PATH)`);
    }
  }
  return { preview, chromium };
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseArguments(process.argv.slice(2));
  const hubUrl = process.env.ATELIER_HUB_URL ?? '';
  if (!hubUrl) {
    fail('ATELIER_HUB_URL is not set (the hub sets it when it launches an engine)');
  }
  const workdir = process.env.ATELIER_WORKDIR || process.cwd();
  if (!fs.existsSync(workdir)) {
    fail(`ATELIER_WORKDIR ${workdir} does not exist`);
  }
  if (!fs.existsSync(options.chromium)) {
    fail(`chromium not found at ${options.chromium} (apt-get install chromium, or --chromium PATH)`);
  }
  // dist/src/main.js → engines/remotion
  const engineDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const engine = new RemotionEngine({
    hubUrl,
    hubSocket: process.env.ATELIER_HUB_SOCKET ?? '',
    token: process.env.ATELIER_ENGINE_TOKEN ?? '',
    sessionId: process.env.ATELIER_SESSION_ID ?? '',
    workdir,
    engineDir,
    browserExecutable: options.chromium,
    preview: options.preview,
    log: (message) => process.stderr.write(`remotion engine: ${message}\n`),
  });
  const stop = () => void engine.shutdown(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await engine.start();
  } catch (error) {
    process.stderr.write(`remotion engine: cannot connect to ${hubUrl}: ${String(error)}\n`);
    await engine.shutdown(4);
  }
  if (process.env.ATELIER_DEBUG === '1') {
    process.stderr.write(`remotion engine: ready in ${Date.now() - started} ms\n`);
  }
  process.exit(await engine.stopped);
}

void main();
