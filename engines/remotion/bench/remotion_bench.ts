// SPDX-License-Identifier: Apache-2.0
// The Remotion engine's benchmark (bench/remotion_bench.sh runs it; results in docs/benchmarks.md):
// - engine start → hello, tools/update and preview/ready (a fake hub; median of N starts);
// - session:start → session:ready through the real hub, cold (pool = 0) and warm (pool = 1);
// - render_still latency once warm (p50/p90 of 10), 1280×720 PNG;
// - render_video fps of the template (90 frames, 1280×720 H.264) against `npx remotion render`
//   of the same composition in the same run: the CLI's wall time (bundle, browser, render) against
//   the engine's render_video on an already open project, and the engine's first render too.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeHub, makeProject, startEngine } from '../tests/support/fake_hub.js';
import { probeVideo } from '../tests/support/media.js';
import { BrowserTab, HubUnderTest } from '../tests/support/real_hub.js';
import { engineDir } from '../tests/support/paths.js';

const kStarts = Number(process.env.BENCH_STARTS ?? 5);
const kStills = Number(process.env.BENCH_STILLS ?? 10);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round(fraction * (sorted.length - 1)))];
}

const ms = (value: number) => `${Math.round(value)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;

async function engineStarts(): Promise<{ hello: number; tools: number; preview: number }> {
  const hello: number[] = [];
  const tools: number[] = [];
  const preview: number[] = [];
  for (let i = 0; i < kStarts; i++) {
    const hub = new FakeHub();
    const project = makeProject('bench-start-');
    const url = await hub.listen();
    const started = performance.now();
    const engine = startEngine(url, project, `bench-session-${i}`);
    await hub.until(() => hub.hello, 'hello');
    hello.push(performance.now() - started);
    await hub.until(() => hub.notification('tools/update'), 'tools/update');
    tools.push(performance.now() - started);
    await hub.until(() => hub.notification('preview/ready'), 'preview/ready');
    preview.push(performance.now() - started);
    await hub.request('engine/shutdown', {});
    await engine.exited;
    await hub.close();
    fs.rmSync(project, { recursive: true, force: true });
  }
  return { hello: median(hello), tools: median(tools), preview: median(preview) };
}

async function renders(): Promise<{ stillP50: number; stillP90: number; firstCall: number; firstVideo: number; warmVideo: number; frames: number }> {
  const hub = new FakeHub();
  const project = makeProject('bench-render-');
  const engine = startEngine(await hub.listen(), project, 'pool-bench', ['--no-preview']);
  await hub.until(() => hub.notification('tools/update'), 'tools/update');
  let started = performance.now();
  await hub.call('remotion__list_compositions');
  const firstCall = performance.now() - started;
  await hub.call('remotion__render_still', { frame: 0 });
  const stills: number[] = [];
  for (let i = 0; i < kStills; i++) {
    started = performance.now();
    await hub.call('remotion__render_still', { frame: (i * 7) % 90 });
    stills.push(performance.now() - started);
  }
  started = performance.now();
  await hub.call('remotion__render_video', { output: 'first.mp4' });
  const firstVideo = performance.now() - started;
  started = performance.now();
  await hub.call('remotion__render_video', { output: 'warm.mp4' });
  const warmVideo = performance.now() - started;
  const frames = probeVideo(path.join(project, 'renders', 'warm.mp4')).frames;
  await hub.request('engine/shutdown', {});
  await engine.exited;
  await hub.close();
  fs.rmSync(project, { recursive: true, force: true });
  return { stillP50: percentile(stills, 0.5), stillP90: percentile(stills, 0.9), firstCall, firstVideo, warmVideo, frames };
}

/**
 * `npx remotion render` of the template's Intro, timed from the command's start to its exit. With
 * `prebuilt`, the CLI renders an already built bundle (no webpack): its render alone, browser
 * start included.
 */
async function cliRender(prebuilt: boolean): Promise<{ wall: number; frames: number }> {
  const project = makeProject('bench-cli-');
  fs.symlinkSync(path.join(engineDir, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  let source = 'src/index.ts';
  if (prebuilt) {
    const { bundle } = await import('@remotion/bundler');
    source = await bundle({ entryPoint: path.join(project, 'src', 'index.ts'), rootDir: project, outDir: path.join(project, 'build'), publicDir: path.join(project, 'public') });
  }
  const output = path.join(project, 'out', 'cli.mp4');
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    [path.join(engineDir, 'node_modules', '@remotion', 'cli', 'remotion-cli.js'), 'render', source, 'Intro', output,
      '--browser-executable=/usr/bin/chromium', '--log=error'],
    { cwd: project, encoding: 'utf8' },
  );
  const wall = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`npx remotion render failed (${result.status}): ${result.stderr.slice(-2000)}`);
  }
  const frames = probeVideo(output).frames;
  fs.rmSync(project, { recursive: true, force: true });
  return { wall, frames };
}

/** RSS and PSS (MiB) of a process and everything below it, from /proc. */
function treeMemory(root: number): { processes: number; rss: number; pss: number } {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(entry)) {
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // exited meanwhile
      }
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) {
      if (parent === tree[i]) {
        tree.push(child);
      }
    }
  }
  let rss = 0;
  let pss = 0;
  for (const pid of tree) {
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/Rss:\s+(\d+)/.exec(rollup)?.[1] ?? 0);
      pss += Number(/Pss:\s+(\d+)/.exec(rollup)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return { processes: tree.length, rss: rss / 1024, pss: pss / 1024 };
}

/** One session's engine, idle after its preview started and one still: node + chromium + Vite. */
async function idleMemory(): Promise<{ processes: number; rss: number; pss: number }> {
  const hub = new FakeHub();
  const project = makeProject('bench-memory-');
  const engine = startEngine(await hub.listen(), project, 'bench-memory');
  await hub.until(() => hub.notification('preview/ready'), 'preview/ready');
  await hub.call('remotion__render_still', { frame: 1 });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const memory = treeMemory(engine.child.pid!);
  await hub.request('engine/shutdown', {});
  await engine.exited;
  await hub.close();
  fs.rmSync(project, { recursive: true, force: true });
  return memory;
}

function hubConfig(pool: number): string {
  const quote = (text: string) => JSON.stringify(text);
  return `[engines.remotion]\ncommand = [${quote(process.execPath)}, ${quote(path.join(engineDir, 'dist', 'src', 'main.js'))}]\n` +
    `template = ${quote(path.join(engineDir, 'template'))}\npool = ${pool}\nsandbox = false\n`;
}

async function sessionReady(pool: number): Promise<number> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hub-'));
  const hub = new HubUnderTest(root, hubConfig(pool));
  await hub.start();
  try {
    const project = await hub.rest('POST', '/api/projects', { name: 'bench', kind: 'remotion' });
    if (pool > 0) {
      // The pool's engine is connected once GET /api/engines lists a remotion engine.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const engines = await hub.rest('GET', '/api/engines');
        if (JSON.stringify(engines.body).includes('remotion')) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const tab = await BrowserTab.open(hub);
    const started = performance.now();
    await tab.startSession(project.body.id);
    const elapsed = performance.now() - started;
    tab.close();
    return elapsed;
  } finally {
    await hub.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const cpus = os.cpus().length;
  console.log(`# Remotion engine (Remotion 4.0.529, Debian chromium), ${cpus} cores, ${os.release()}`);
  const start = await engineStarts();
  console.log(`\nEngine start (median of ${kStarts}): hello ${ms(start.hello)}, tools/update ${ms(start.tools)}, preview/ready ${ms(start.preview)}`);

  const binary = process.env.ATELIER_BINARY ?? '';
  if (binary && fs.existsSync(binary)) {
    const cold = await sessionReady(0);
    const warm = await sessionReady(1);
    console.log(`session:start → session:ready through the hub: cold (pool 0) ${ms(cold)}, warm (pool 1) ${ms(warm)}`);
  } else {
    console.log('session:ready: skipped (set ATELIER_BINARY to a built atelier)');
  }

  const cli = await cliRender(false);
  const cliPrebuilt = await cliRender(true);
  const engine = await renders();
  const cliFps = (cli.frames / cli.wall) * 1000;
  const cliPrebuiltFps = (cliPrebuilt.frames / cliPrebuilt.wall) * 1000;
  const warmFps = (engine.frames / engine.warmVideo) * 1000;
  const firstFps = (engine.frames / engine.firstVideo) * 1000;
  console.log('');
  console.log('| measure | value | target |');
  console.log('|---|---|---|');
  console.log(`| render_still warm, p50 / p90 of ${kStills} (1280×720 PNG) | ${ms(engine.stillP50)} / ${ms(engine.stillP90)} | ≤ 500 ms |`);
  console.log(`| first call after open (compile for the render server + compositions) | ${seconds(engine.firstCall)} | |`);
  console.log(`| \`npx remotion render\` (${cli.frames} frames, wall incl. bundle and browser) | ${seconds(cli.wall)} = ${cliFps.toFixed(1)} fps | |`);
  console.log(`| \`npx remotion render\` of a prebuilt bundle (no webpack; browser start included) | ${seconds(cliPrebuilt.wall)} = ${cliPrebuiltFps.toFixed(1)} fps | |`);
  console.log(`| render_video, first after open | ${seconds(engine.firstVideo)} = ${firstFps.toFixed(1)} fps (${(firstFps / cliFps).toFixed(2)}×) | |`);
  console.log(`| render_video, warm (bundle and browser reused) | ${seconds(engine.warmVideo)} = ${warmFps.toFixed(1)} fps (**${(warmFps / cliFps).toFixed(2)}×** the CLI, ${(warmFps / cliPrebuiltFps).toFixed(2)}× its prebuilt render) | ≥ 1.0× |`);
  const memory = await idleMemory();
  console.log(`| memory of one idle session engine (${memory.processes} processes: node, chromium, esbuild), RSS / PSS | ${memory.rss.toFixed(0)} / ${memory.pss.toFixed(0)} MiB | |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
