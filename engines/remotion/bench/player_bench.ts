// SPDX-License-Identifier: Apache-2.0
// Issue 20, the player's half without the hub: a pooled engine (fake hub, empty tree) idles until
// its warm-up is done, then `project/open` of a copy of the template, and the figures the hub
// bench (first_still_bench.ts) measures end to end, split into their parts:
//   idle memory of the pooled engine (RSS and PSS of node + chromium + their children);
//   project/open → preview/ready, preview/ready → the page (through a prefix proxy, as the hub's)
//   reports `ready` at frame 0, and their sum;
//   an edit (files__edit_file) → its answer → the player shows it (median of BENCH_EDITS);
//   the floor: a warm render_still (median of 5) of the same engine.
// bench/remotion_bench.sh player runs it; BENCH_ROUNDS engines one after the other (default 2).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { FakeHub, makeProject, startEngine } from '../tests/support/fake_hub.js';
import { PrefixProxy } from '../tests/support/proxy.js';
import { idle, memory } from './process_tree.js';

const kRounds = Number(process.env.BENCH_ROUNDS ?? 2);
const kEdits = Number(process.env.BENCH_EDITS ?? 5);
const kSettleMs = Number(process.env.BENCH_SETTLE_MS ?? 6_000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function pageMessages(page: Page): Promise<Array<Record<string, any>>> {
  return page.evaluate(() => ((window as any).__atelierMessages ?? []) as Array<Record<string, any>>);
}

async function waitForPage(page: Page, predicate: (message: Record<string, any>) => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await pageMessages(page)).some(predicate)) {
    if (Date.now() > deadline) {
      throw new Error(`the preview page did not answer: ${JSON.stringify(await pageMessages(page)).slice(0, 2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type Round = Record<string, number>;

async function round(index: number): Promise<Round> {
  const hub = new FakeHub();
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pool-'));
  const project = makeProject('bench-player-');
  const engine = startEngine(await hub.listen(), empty, `pool-bench-${index}`);
  const browser = await chromium.launch({ executablePath: process.env.ATELIER_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const result: Round = {};
  let proxy: PrefixProxy | null = null;
  try {
    await hub.until(() => hub.notification('tools/update'), 'tools/update');
    // A pooled engine starts warming up 5 s after its hello (engine.ts, kPoolWarmUpDelayMs).
    await new Promise((resolve) => setTimeout(resolve, kSettleMs));
    result['warm-up until idle'] = kSettleMs + (await idle(engine.child.pid!));
    const idleMemory = memory(engine.child.pid!);
    result['idle RSS (MiB)'] = idleMemory.rss;
    result['idle PSS (MiB)'] = idleMemory.pss;
    result['idle processes'] = idleMemory.processes;
    const page = await browser.newPage();
    await page.goto('about:blank');

    const sessionId = `sess-bench-${index}`;
    const since = hub.notifications.length;
    const started = performance.now();
    const opened = hub.request('project/open', { workdir: project, session_id: sessionId, project_id: 'p' });
    const ready = await hub.until(() => hub.notification('preview/ready', since), 'preview/ready');
    const announced = performance.now();
    if (process.env.BENCH_TRACE === '1') {
      const t0 = performance.now();
      page.on('requestfinished', (request) => {
        const timing = request.timing();
        process.stderr.write(`${Math.round(performance.now() - t0)} ms done, start ${Math.round(timing.startTime - 0)}, ` +
          `wait ${Math.round(timing.responseStart - timing.requestStart)} ms, total ${Math.round(timing.responseEnd)} ms: ${request.url().slice(-90)}\n`);
      });
      page.on('response', (response) => {
        if (response.status() >= 400) {
          process.stderr.write(`${response.status()}: ${response.url()}\n`);
        }
      });
    }
    proxy = new PrefixProxy(ready.params.port);
    const port = await proxy.listen();
    await page.goto(`http://127.0.0.1:${port}${ready.params.path}`);
    await waitForPage(page, (m) => m.type === 'ready');
    const shown = performance.now();
    await opened;
    result['open → preview/ready'] = announced - started;
    result['preview/ready → page ready'] = shown - announced;
    result['open → player ready at frame 0'] = shown - started;

    // Edits at a steady state: after the compile for rendering that follows the first frame.
    await idle(engine.child.pid!);
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
    await page.waitForSelector('h1:has-text("Hello from atelier")', { timeout: 60_000 });
    const acks: number[] = [];
    const edits: number[] = [];
    let text = 'Hello from atelier';
    for (let i = 0; i < kEdits; i++) {
      const next = `Edit number ${i}`;
      const t = performance.now();
      await hub.call('files__edit_file', { path: 'src/Intro.tsx', old_text: `'${text}'`, new_text: `'${next}'` });
      acks.push(performance.now() - t);
      await page.waitForSelector(`h1:has-text("${next}")`, { timeout: 60_000 });
      edits.push(performance.now() - t);
      text = next;
      await idle(engine.child.pid!);
    }
    result['edit → answer (median)'] = median(acks);
    result['edit → player shows it (median)'] = median(edits);
    result['edit → player shows it (max)'] = Math.max(...edits);

    const stills: number[] = [];
    await hub.call('remotion__render_still', { frame: 0 });
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await hub.call('remotion__render_still', { frame: (i * 17) % 90 });
      stills.push(performance.now() - t);
    }
    result['floor: render_still, warm (median of 5)'] = median(stills);
    const open = memory(engine.child.pid!);
    result['RSS with a session and a page (MiB)'] = open.rss;
    result['PSS with a session and a page (MiB)'] = open.pss;
    await page.close();
  } finally {
    await browser.close();
    await proxy?.close();
    await hub.request('engine/shutdown', {}).catch(() => undefined);
    await engine.exited;
    await hub.close();
    fs.rmSync(empty, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  }
  return result;
}

async function main(): Promise<void> {
  const rounds: Round[] = [];
  for (let i = 0; i < kRounds; i++) {
    rounds.push(await round(i));
    process.stderr.write(`round ${i + 1}: ${JSON.stringify(rounds[i])}\n`);
  }
  console.log(`# Remotion, issue 20: the player without the hub, ${kRounds} rounds, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`| measure | ${rounds.map((_, i) => `round ${i + 1}`).join(' | ')} | × floor (median) |`);
  console.log(`|---|${rounds.map(() => '---|').join('')}---|`);
  const floor = median(rounds.map((r) => r['floor: render_still, warm (median of 5)']));
  for (const key of Object.keys(rounds[0])) {
    const values = rounds.map((r) => r[key]);
    const unit = key.includes('MiB') || key.includes('processes') ? '' : ' ms';
    const ratio = unit ? `${(median(values) / floor).toFixed(2)}×` : '';
    console.log(`| ${key} | ${values.map((v) => `${Math.round(v)}${unit}`).join(' | ')} | ${ratio} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
