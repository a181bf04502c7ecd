// SPDX-License-Identifier: Apache-2.0
// Issue 20: how fast a video project answers after `session:start`, through the real hub with
// one pooled engine (the `make run` setup), each figure against the floor of the same run: a warm
// render_still of the same session. bench/remotion_bench.sh first runs it; results in
// docs/benchmarks.md (Remotion, issue 20).
//
// 1. new project (from the template): session:start → the first render_still's result;
// 2. an existing project whose sources changed a little (the session of 1 edited the title and
//    ended): session:start → the first render_still;
// 3. new project: session:start → the player (the preview page through the hub's proxy, in
//    chromium) reports `ready` for the composition at frame 0; then an edit → the player shows it;
// 4. new project: the first render_video after opening, against a second (warm) one.
// Each session takes the pooled engine; before each, the bench waits for the hub to have launched
// the next pooled engine, BENCH_SETTLE_MS, and until the hub's processes are idle (its warm-up done),
// as a user's pause would. The edits of 3 start once the session is idle too (the engine compiles
// the project for rendering after the player's first frame); each is timed from the command to the
// page showing it, with the command's answer (the engine's write, then the hub's commit) apart:
// the page does not wait for the commit. The pooled engine's idle memory (node, chromium and their
// children) is read before 3.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { BrowserTab, HubUnderTest } from '../tests/support/real_hub.js';
import { engineDir } from '../tests/support/paths.js';
import { idle, memory, processTree } from './process_tree.js';

const kSettleMs = Number(process.env.BENCH_SETTLE_MS ?? 5_000);
const kEdits = Number(process.env.BENCH_EDITS ?? 5);
const kFloorStills = Number(process.env.BENCH_STILLS ?? 5);

const ms = (value: number) => `${Math.round(value)} ms`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

// BENCH_ENGINE_DIR: the engines/remotion of another checkout (built), e.g. the commit before a change.
const kEngineDir = process.env.BENCH_ENGINE_DIR || engineDir;

function hubConfig(): string {
  const quote = (text: string) => JSON.stringify(text);
  return `[engines.remotion]\ncommand = [${quote(process.execPath)}, ${quote(path.join(kEngineDir, 'dist', 'src', 'main.js'))}]\n` +
    `template = ${quote(path.join(kEngineDir, 'template'))}\npool = 1\nsandbox = false\n`;
}

/** The engines the hub runs (node …/dist/src/main.js), each with its children (chromium, esbuild). */
function engines(hub: HubUnderTest): number[] {
  return processTree(hub.process!.pid!).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join('dist', 'src', 'main.js'));
    } catch {
      return false;
    }
  });
}

/** Until the hub and its engines are idle (a pooled engine's warm-up, a session's deferred compile). */
async function hubIdle(hub: HubUnderTest): Promise<void> {
  await idle(hub.process!.pid!);
}

async function pooledEngineSettled(hub: HubUnderTest): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const pool = await hub.rest('GET', '/api/engines/pool');
    if (Number(pool.body?.kinds?.remotion?.idle ?? 0) >= 1) {
      break;
    }
    if (Date.now() > deadline) {
      throw new Error(`no pooled engine: ${JSON.stringify(pool.body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, kSettleMs));
  await hubIdle(hub);
}

function ok(reply: any, what: string): any {
  if (!reply.ok) {
    throw new Error(`${what} failed: ${JSON.stringify(reply).slice(0, 3000)}`);
  }
  return reply;
}

async function newProject(hub: HubUnderTest, name: string): Promise<string> {
  const created = await hub.rest('POST', '/api/projects', { name, kind: 'remotion' });
  if (created.status !== 201) {
    throw new Error(`project: ${JSON.stringify(created.body)}`);
  }
  return created.body.id as string;
}

async function endSession(tab: BrowserTab, sessionId: string): Promise<void> {
  const since = tab.messages.length;
  tab.send('session:end', { session_id: sessionId });
  await tab.next('session:status', since, (m) => m.payload.state === 'ended');
}

async function pageMessages(page: Page): Promise<Array<Record<string, any>>> {
  return page.evaluate(() => ((window as any).__atelierMessages ?? []) as Array<Record<string, any>>);
}

async function waitForPage(page: Page, predicate: (message: Record<string, any>) => boolean, after = 0): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await pageMessages(page)).slice(after).some(predicate)) {
    if (Date.now() > deadline) {
      throw new Error(`the preview page did not answer: ${JSON.stringify(await pageMessages(page)).slice(0, 2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-first-'));
  const hub = new HubUnderTest(root, hubConfig());
  await hub.start();
  const browser = await chromium.launch({ executablePath: process.env.ATELIER_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  const results: Array<[string, number]> = [];
  try {
    const tab = await BrowserTab.open(hub);

    // 1. A new project: session:start → first still; then the floor, warm stills.
    const first = await newProject(hub, 'first still');
    await pooledEngineSettled(hub);
    let started = performance.now();
    const ready = await tab.startSession(first);
    const sessionReady = performance.now() - started;
    ok(await tab.command('remotion__render_still', { frame: 0 }), 'first still');
    const newStill = performance.now() - started;
    const stills: number[] = [];
    for (let i = 0; i < kFloorStills; i++) {
      const t = performance.now();
      ok(await tab.command('remotion__render_still', { frame: (i * 17) % 90 }), 'warm still');
      stills.push(performance.now() - t);
    }
    const floor = median(stills);
    ok(await tab.command('files__edit_file', { path: 'src/Intro.tsx', old_text: "'Hello from atelier'", new_text: "'Hello again'" }), 'edit');
    await endSession(tab, ready.session_id);
    results.push(['floor: render_still, warm (median of ' + kFloorStills + ', same session)', floor]);
    results.push(['session:start → session:ready (new project)', sessionReady]);
    results.push(['new project: session:start → first still', newStill]);

    // 2. The same project again, changed since the template: session:start → first still.
    await pooledEngineSettled(hub);
    started = performance.now();
    const again = await tab.startSession(first);
    ok(await tab.command('remotion__render_still', { frame: 0 }), 'first still of the changed project');
    results.push(['existing project, sources changed: session:start → first still', performance.now() - started]);
    await endSession(tab, again.session_id);

    // 3. The player: session:start → the page reports ready at frame 0; an edit → the page shows it.
    const player = await newProject(hub, 'player');
    await pooledEngineSettled(hub);
    const pooled = engines(hub).map((pid) => memory(pid));
    const idleMemory = { rss: pooled.reduce((sum, m) => sum + m.rss, 0), pss: pooled.reduce((sum, m) => sum + m.pss, 0) };
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${hub.port}/?token=${encodeURIComponent(hub.token)}`);
    started = performance.now();
    const since = tab.messages.length;
    const session = tab.startSession(player);
    const previewReady = await tab.next('preview:ready', since, () => true, 120_000);
    const announced = performance.now() - started;
    await page.goto(`http://127.0.0.1:${hub.port}${previewReady.payload.url}`);
    await waitForPage(page, (m) => m.type === 'ready');
    results.push(['new project: session:start → player ready at frame 0', performance.now() - started]);
    results.push(['  of which session:start → preview:ready', announced]);
    // Where the page's own time went (navigation start = 0), for the report.
    const timing = await page.evaluate(() => {
      const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      return {
        html: Math.round(navigation.responseEnd),
        modules: Math.round(Math.max(...resources.map((r) => r.responseEnd))),
        requests: resources.length,
        slowest: resources.map((r) => [Math.round(r.responseEnd - r.startTime), r.name.split('/').pop()]).sort((a, b) => Number(b[0]) - Number(a[0])).slice(0, 5),
      };
    });
    process.stderr.write(`player page timing: ${JSON.stringify(timing)}\n`);
    const playerSession = await session;
    await hubIdle(hub);
    await page.evaluate(() => window.postMessage({ source: 'atelier-app', type: 'seek', frame: 50 }, '*'));
    await page.waitForSelector('h1:has-text("Hello from atelier")', { timeout: 60_000 });
    const shown: number[] = [];
    const answered: number[] = [];
    let text = 'Hello from atelier';
    for (let i = 0; i < kEdits; i++) {
      const next = `Edited live ${i}`;
      started = performance.now();
      const [, ack] = await Promise.all([
        page.waitForSelector(`h1:has-text("${next}")`, { timeout: 60_000 }).then(() => shown.push(performance.now() - started)),
        tab.command('files__edit_file', { path: 'src/Intro.tsx', old_text: `'${text}'`, new_text: `'${next}'` }).then((reply) => {
          answered.push(performance.now() - started);
          return reply;
        }),
      ]);
      ok(ack, 'edit');
      text = next;
      await hubIdle(hub);
    }
    results.push([`an edit → the player shows it (files__edit_file through the hub; median of ${kEdits})`, median(shown)]);
    results.push(['an edit → the player shows it, slowest', Math.max(...shown)]);
    results.push([`an edit → its command:result (the engine's write and the hub's commit; median of ${kEdits})`, median(answered)]);
    await page.close();
    await endSession(tab, playerSession.session_id);

    // 4. render_video: the first after opening a new project, then a warm one.
    const video = await newProject(hub, 'video');
    await pooledEngineSettled(hub);
    const videoSession = await tab.startSession(video);
    started = performance.now();
    ok(await tab.command('remotion__render_video', { output: 'first.mp4' }), 'first render_video');
    const firstVideo = performance.now() - started;
    started = performance.now();
    ok(await tab.command('remotion__render_video', { output: 'warm.mp4' }), 'warm render_video');
    const warmVideo = performance.now() - started;
    results.push(['render_video (90 frames 1280×720), first after session:ready', firstVideo]);
    results.push(['render_video, warm (the second)', warmVideo]);
    await endSession(tab, videoSession.session_id);
    tab.close();

    console.log(`# Remotion, issue 20: first answers through the hub (engine ${kEngineDir}, pool = 1, settle ${kSettleMs} ms), ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log('| measure | time | × floor |');
    console.log('|---|---|---|');
    for (const [name, value] of results) {
      console.log(`| ${name} | ${ms(value)} | ${(value / floor).toFixed(1)}× |`);
    }
    console.log(`| render_video first / warm | | ${(firstVideo / warmVideo).toFixed(2)}× |`);
    console.log(`| pooled engine idle (node + chromium + children): RSS / PSS | ${Math.round(idleMemory.rss)} / ${Math.round(idleMemory.pss)} MiB | |`);
  } finally {
    await browser.close();
    await hub.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
