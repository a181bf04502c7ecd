// SPDX-License-Identifier: Apache-2.0
// What an engine does that is no answer: when a pooled engine may start warming up, the esbuild
// service it leaves behind, the scratch folders of engines that were killed.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** A pooled engine: how long after its hello it starts warming up (unless opened before). */
export const kPoolWarmUpDelayMs = 5000;

/**
 * Opens when the engine may start its heavy warm-up (chromium, the render server, renders of the
 * template, the preview's dependencies and Babel): at once for a session's engine; for a pooled
 * engine kPoolWarmUpDelayMs after its hello, or at project/open. The hub starts a pooled engine
 * when a session has just taken the previous one: its warm-up (~10 s of CPU on a loaded machine)
 * then does not compete with that session's player and first render on a small machine.
 */
export class WarmUpGate {
  private release!: () => void;
  private timer: NodeJS.Timeout | undefined;
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  open(): void {
    clearTimeout(this.timer);
    this.release();
  }

  openAfter(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), ms);
  }
}

/**
 * Replaces Vite's esbuild service (one per process, shared by the preview and render servers)
 * with a fresh one: pre-bundling the dependencies left it holding ~300 MB (Go returns memory
 * slowly), the largest part of an idle pooled engine; a fresh one holds ~10 MB. The caller makes
 * sure that nothing compiles meanwhile (a compile in flight fails when its service stops).
 */
export async function freshEsbuild(engineDir: string): Promise<void> {
  // Vite's own esbuild: the same module instance (CommonJS, one cache for require and import).
  const esbuild = createRequire(path.join(engineDir, 'node_modules', 'vite', 'package.json'))('esbuild') as typeof import('esbuild');
  await esbuild.stop();
  await esbuild.transform('', {});
}

/**
 * Removes the scratch folders (bundles, Vite's cache, ~30 MB each) of engines that were killed
 * before they could remove their own: named atelier-remotion-<pid>-…, with that pid gone.
 */
export function removeStaleScratch(): void {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^atelier-remotion-(\d+)-/.exec(entry);
    if (!match) {
      continue;
    }
    try {
      process.kill(Number(match[1]), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
      }
    }
  }
}
