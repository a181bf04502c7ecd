// SPDX-License-Identifier: Apache-2.0
// Viewport transport benchmark (issue 23): the same Blender scene, the same orbit, JPEG frames over
// the WebSocket vs WebRTC video, at 640×360 and 1280×720. Prints bitrate, frames/s delivered and
// hub + helper CPU per path; the JPEG path is the same-run floor to compare against.
//   node bench/viewport_webrtc.mjs   (ATELIER_BINARY, default build/release/atelier, else build/asan/atelier;
//                                     BENCH_SECONDS per run, default 10; BENCH_STEPS single steps per run, default 60;
//                                     BENCH_SIZES, default 640x360,1280x720; BENCH_RAW=1 prints the steps' samples;
//                                     make bench runs it via bench/run_all.sh)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const release = join(root, 'build', 'release', 'atelier');
const binary = process.env.ATELIER_BINARY ?? (existsSync(release) ? release : join(root, 'build', 'asan', 'atelier'));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const tick = Number(process.env.BENCH_CLK_TCK ?? 100);
const step_count = Number(process.env.BENCH_STEPS ?? 60);

function cpu_seconds(pid) {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / tick;
  } catch {
    return 0;
  }
}

function helper_pid(data_dir) {
  const socket = join(data_dir, 'rtc.sock');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('atelier-rtc') && argv.includes(socket)) return Number(entry);
    } catch {}
  }
  return 0;
}

async function start_hub() {
  const data_dir = mkdtempSync(join(tmpdir(), 'atelier-bench-rtc-'));
  const bootstrap = join(root, 'engines', 'blender', 'bootstrap.py');
  writeFileSync(
    join(data_dir, 'atelier.toml'),
    `[engines.blender]\ncommand = ${JSON.stringify(['blender', '-b', '--factory-startup', '--python', bootstrap])}\n[webrtc]\nlocal_addresses = "127.0.0.1"\nframe_counter = true\n`,
  );
  const child = spawn(binary, ['serve', '--port', '0', '--data-dir', data_dir, '--config', join(data_dir, 'atelier.toml'), '--web-root', join(root, 'web', 'dist')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((done, fail) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /atelier open (\S+)/.exec(text);
      if (match) done(new URL(match[1]));
    });
    child.on('exit', (code) => fail(new Error(`hub exited ${code}`)));
  });
  return { child, data_dir, origin: url.origin, token: url.searchParams.get('token') };
}

async function run(hub, browser, path, width, height) {
  const headers = { Authorization: `Bearer ${hub.token}`, 'Content-Type': 'application/json' };
  const project = await (await fetch(`${hub.origin}/api/projects`, { method: 'POST', headers, body: JSON.stringify({ name: `bench ${path} ${width}`, kind: 'blender' }) })).json();
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.addInitScript(`(() => { const O = window.RTCPeerConnection; const peers = []; window.__peers = peers;
    window.RTCPeerConnection = function (...a) { const pc = new O(...a); peers.push(pc); return pc; };
    window.RTCPeerConnection.prototype = O.prototype; })();`);
  let jpeg_bytes = 0;
  let jpeg_frames = 0;
  // The app's own socket only: the floor client below is a second WebSocket of this page.
  page.on('websocket', (socket) => !socket.url().includes('floor=1') && socket.on('framereceived', (frame) => {
    if (typeof frame.payload !== 'string') { jpeg_bytes += frame.payload.length; jpeg_frames += 1; }
  }));
  await page.goto(`${hub.origin}/?token=${hub.token}`);
  await page.goto(`${hub.origin}/p/${project.id}${path === 'jpeg' ? '?viewport=jpeg' : ''}`);
  await page.locator('.viewport .overlay').waitFor({ timeout: 120_000 });
  if (path === 'webrtc') await page.locator('.viewport-path[data-path="webrtc"]').waitFor({ timeout: 60_000 });
  // The frame size for this run: the session's viewport as a second client of the session asks for it.
  await page.evaluate(async ({ width, height, project_id }) => {
    const socket = new WebSocket(`${location.origin.replace('http', 'ws')}/ws/browser?floor=1`);
    await new Promise((ok) => (socket.onopen = ok));
    socket.send(JSON.stringify({ type: 'session:start', id: 's', payload: { project_id } }));
    await new Promise((ok) => setTimeout(ok, 1000));
    socket.send(JSON.stringify({ type: 'viewport:configure', id: 'c', payload: { width, height } }));
    // The floor: when each frame reaches a loopback WebSocket client of the same hub (this one has
    // no video, so the hub sends it every JPEG). The JPEG path adds its decode and draw to that; the
    // video path its encode, RTP, jitter buffer, decode and display, read from the counter the
    // helper draws (frame number & 0xffff as 16 blocks).
    const arrival = new Map();
    const jpeg_latency = [];
    const video_latency = [];
    const scratch = document.createElement('canvas');
    scratch.width = 256;
    scratch.height = 16;
    const scratch_context = scratch.getContext('2d', { willReadFrequently: true });
    const draw = document.createElement('canvas');
    const draw_context = draw.getContext('2d');
    socket.binaryType = 'arraybuffer';
    const counts = { floor_frames: 0, sized: false };
    // Input → shown (glass to glass but for the screen itself): a single orbit step after a rest.
    // The step's time is the pointer event's; the first new frame the engine sends after it is the
    // one that shows it (the engine renders one navigation frame per camera change, and its
    // anti-aliased refinement 0.2 s later, which the rest between steps lets pass).
    const steps = [];
    let last_seq = -1;
    window.addEventListener('pointermove', () => {
      if (!window.__arm_step) return;
      window.__arm_step = false;
      steps.push({ input: performance.now(), before: last_seq });
    }, true);
    socket.onmessage = async (event) => {
      if (typeof event.data === 'string') return;
      const now = performance.now();
      counts.floor_frames += 1;
      const header = new DataView(event.data);
      const seq = header.getUint32(4, true) & 0xffff;
      if (header.getUint16(8, true) === width && header.getUint16(10, true) === height) counts.sized = true;
      if (!arrival.has(seq)) arrival.set(seq, now);
      const pending = steps.at(-1);
      const step = pending && pending.arrival === undefined && seq !== pending.before ? pending : null;
      if (step) {
        step.arrival = now;
        step.seq = seq;
      }
      last_seq = seq;
      const bitmap = await createImageBitmap(new Blob([event.data.slice(16)], { type: 'image/jpeg' }));
      draw.width = bitmap.width;
      draw.height = bitmap.height;
      draw_context.drawImage(bitmap, 0, 0);
      bitmap.close();
      // Shown: the rendering step that composites the canvas (the same clock as the video's below).
      requestAnimationFrame((shown) => {
        jpeg_latency.push(shown - now);
        if (step) step.jpeg_shown = shown;
      });
    };
    const video = document.querySelector('.viewport video');
    const seen = new Set();
    const on_frame = (now, metadata) => {
      if (video.videoWidth >= 256) {
        scratch_context.drawImage(video, 0, 0, 256, 16, 0, 0, 256, 16);
        const pixels = scratch_context.getImageData(0, 0, 256, 16).data;
        let seq = 0;
        for (let bit = 0; bit < 16; bit++) seq = (seq << 1) | (pixels[(8 * 256 + bit * 16 + 8) * 4] > 128 ? 1 : 0);
        // Shown: the rendering step that composites this video frame (as for the canvas above).
        const shown = now;
        for (const step of steps) {
          if (step.seq !== undefined && step.video_shown === undefined && ((seq - step.seq) & 0xffff) < 0x8000) step.video_shown = shown;
        }
        const sent = arrival.get(seq);
        if (sent !== undefined && !seen.has(seq)) {
          seen.add(seq);
          video_latency.push(shown - sent);
        }
      }
      video.requestVideoFrameCallback(on_frame);
    };
    if (video) video.requestVideoFrameCallback(on_frame);
    window.__bench = { jpeg_latency, video_latency, counts, steps };
    window.__bench_socket = socket;
    // Measure from the first frame of the configured size on, plus a moment: the resize restarts
    // the encoder with a key frame, a one-time cost that is not the orbit's.
    const deadline = performance.now() + 60_000;
    while (!counts.sized && performance.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
    await new Promise((ok) => setTimeout(ok, 1500));
  }, { width, height, project_id: project.id });
  const box = await page.locator('.viewport canvas').boundingBox();
  const stats = () => page.evaluate(async () => {
    const pc = window.__peers[window.__peers.length - 1];
    const floor = window.__bench.counts.floor_frames;
    if (!pc) return { bytes: 0, frames: 0, received: 0, dropped: 0, lost: 0, plis: 0, nacks: 0, freezes: 0, floor };
    let bytes = 0, frames = 0, received = 0, dropped = 0, lost = 0, plis = 0, nacks = 0, freezes = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        bytes = s.bytesReceived; frames = s.framesDecoded; received = s.framesReceived ?? 0; dropped = s.framesDropped ?? 0;
        lost = s.packetsLost ?? 0; plis = s.pliCount ?? 0; nacks = s.nackCount ?? 0; freezes = s.freezeCount ?? 0;
      }
    });
    return { bytes, frames, received, dropped, lost, plis, nacks, freezes, floor };
  });
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  const hub_cpu0 = cpu_seconds(hub.child.pid);
  const helper = helper_pid(hub.data_dir);
  const helper_cpu0 = cpu_seconds(helper);
  const rtc0 = await stats();
  const jpeg0 = { bytes: jpeg_bytes, frames: jpeg_frames };
  const started = Date.now();
  // A 30 Hz orbit: one small drag step per 33 ms.
  for (let step = 0; Date.now() - started < seconds * 1000; step++) {
    await page.mouse.move(box.x + box.width / 2 + 120 * Math.sin(step / 20), box.y + box.height / 2);
    await page.waitForTimeout(33);
  }
  const elapsed = (Date.now() - started) / 1000;
  const rtc1 = await stats();
  const jpeg1 = { bytes: jpeg_bytes, frames: jpeg_frames };
  const latency = await page.evaluate(() => ({ jpeg_latency: [...window.__bench.jpeg_latency], video_latency: [...window.__bench.video_latency] }));
  // Single steps after a rest (input → shown), with the mouse still down.
  const steps_cpu0 = cpu_seconds(helper);
  const steps_started = Date.now();
  for (let step = 0; step < step_count; step++) {
    await page.waitForTimeout(700);
    await page.evaluate(() => { window.__arm_step = true; });
    await page.mouse.move(box.x + box.width / 2 + (step % 2 ? 0 : 24), box.y + box.height / 2);
  }
  await page.waitForTimeout(700);
  await page.mouse.up();
  const steps = await page.evaluate(() => window.__bench.steps);
  // The helper's CPU while the view steps (each step's frames and their flushes, keep-alives in
  // between), and at rest (6 s after the last step: keep-alives only).
  const steps_helper_cpu = (cpu_seconds(helper) - steps_cpu0) / ((Date.now() - steps_started) / 1000);
  let resting_helper_cpu = 0;
  if (path === 'webrtc') {
    await page.waitForTimeout(6000);
    const resting0 = cpu_seconds(helper);
    await page.waitForTimeout(5000);
    resting_helper_cpu = (cpu_seconds(helper) - resting0) / 5;
  }
  const result = path === 'webrtc'
    ? { mbit: ((rtc1.bytes - rtc0.bytes) * 8) / elapsed / 1e6, fps: (rtc1.frames - rtc0.frames) / elapsed,
        received_fps: (rtc1.received - rtc0.received) / elapsed, dropped: rtc1.dropped - rtc0.dropped,
        lost: rtc1.lost - rtc0.lost, plis: rtc1.plis - rtc0.plis, nacks: rtc1.nacks - rtc0.nacks, freezes: rtc1.freezes - rtc0.freezes }
    : { mbit: ((jpeg1.bytes - jpeg0.bytes) * 8) / elapsed / 1e6, fps: (jpeg1.frames - jpeg0.frames) / elapsed };
  // What the engine rendered in the same window: the floor client gets every frame.
  result.engine_fps = (rtc1.floor - rtc0.floor) / elapsed;
  const samples = path === 'webrtc' ? latency.video_latency : latency.jpeg_latency;
  result.p50 = percentile(samples, 50);
  result.p99 = percentile(samples, 99);
  result.samples = samples.length;
  // Input → shown: the path's own display, and the part both paths share (input → the frame's
  // arrival at the floor client: the app's input handling, the hub, Blender's render, the hub).
  const shown_key = path === 'webrtc' ? 'video_shown' : 'jpeg_shown';
  const complete = steps.filter((s) => s.arrival !== undefined && s[shown_key] !== undefined);
  result.step_shared = complete.map((s) => s.arrival - s.input);
  result.step_shown = complete.map((s) => s[shown_key] - s.input);
  result.steps_missed = steps.length - complete.length;
  result.steps_helper_cpu = path === 'webrtc' ? steps_helper_cpu : 0;
  result.resting_helper_cpu = resting_helper_cpu;
  if (process.env.BENCH_RAW) console.error(JSON.stringify({ path, width, shared: result.step_shared.map(Math.round), shown: result.step_shown.map(Math.round) }));
  result.hub_cpu = (cpu_seconds(hub.child.pid) - hub_cpu0) / elapsed;
  result.helper_cpu = path === 'webrtc' ? (cpu_seconds(helper) - helper_cpu0) / elapsed : 0;
  await context.close();
  await fetch(`${hub.origin}/api/projects/${project.id}`, { method: 'DELETE', headers });
  return result;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const load_before = load();
const hub = await start_hub();
const browser = await chromium.launch({ executablePath: process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'] });
try {
  console.log(`# Viewport: JPEG over the WebSocket (floor) vs WebRTC H.264 (issue 23), ${seconds} s orbit at 30 Hz per run`);
  console.log(`# ${binary}; ${cpus().length} cores, load average before: ${load_before}`);
  console.log('# engine frames/s: what Blender rendered in the window (every frame reaches the floor client)');
  console.log('# latency: from the frame arrival at a loopback WebSocket client (the floor) to the rendering step that shows it (canvas / video)');
  console.log('size        path     Mbit/s  frames/s  engine f/s  hub CPU  helper CPU  latency p50 / p99 ms (n)');
  const step_lines = [];
  const sizes = (process.env.BENCH_SIZES ?? '640x360,1280x720').split(',').map((size) => size.split('x').map(Number));
  for (const [width, height] of sizes) {
    const rows = {};
    for (const path of ['jpeg', 'webrtc']) {
      const r = await run(hub, browser, path, width, height);
      rows[path] = r;
      const extra = path === 'webrtc'
        ? `  (received ${r.received_fps.toFixed(1)} f/s; dropped ${r.dropped}, packets lost ${r.lost}, NACK ${r.nacks}, PLI ${r.plis}, freezes ${r.freezes})`
        : '';
      console.log(`${`${width}x${height}`.padEnd(11)} ${path.padEnd(8)} ${r.mbit.toFixed(2).padStart(6)} ${r.fps.toFixed(1).padStart(9)} ${r.engine_fps.toFixed(1).padStart(11)} ${(100 * r.hub_cpu).toFixed(0).padStart(6)} % ${(100 * r.helper_cpu).toFixed(0).padStart(8)} %   ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} (${r.samples})${extra}`);
    }
    const ratio = rows.jpeg.mbit / Math.max(rows.webrtc.mbit, 1e-9);
    // Per engine frame, too: the two runs' engines may render at different rates (a loaded machine),
    // and the video also carries the helper's repeats of an idle picture.
    const per_frame = (rows.jpeg.mbit / Math.max(rows.jpeg.engine_fps, 1e-9)) / Math.max(rows.webrtc.mbit / Math.max(rows.webrtc.engine_fps, 1e-9), 1e-9);
    for (const path of ['jpeg', 'webrtc']) {
      const r = rows[path];
      const ms = (values, p) => percentile(values, p).toFixed(1);
      const cpu = path === 'webrtc' ? `   helper CPU ${(100 * r.steps_helper_cpu).toFixed(0)} % stepping, ${(100 * r.resting_helper_cpu).toFixed(0)} % at rest` : '';
      step_lines.push(`${`${width}x${height}`.padEnd(11)} ${path.padEnd(8)} ${`${ms(r.step_shared, 50)} / ${ms(r.step_shared, 99)}`.padStart(15)}   ${`${ms(r.step_shown, 50)} / ${ms(r.step_shown, 99)}`.padStart(15)}   ${r.step_shown.length} (${r.steps_missed} missed)${cpu}`);
    }
    const step_ratio = (p) => percentile(rows.webrtc.step_shown, p) / percentile(rows.jpeg.step_shown, p);
    step_lines.push(`${`${width}x${height}`.padEnd(11)} WebRTC/JPEG input → shown: p50 ${step_ratio(50).toFixed(2)}x, p99 ${step_ratio(99).toFixed(2)}x (goal <= 1.5x)`);
    console.log(`${`${width}x${height}`.padEnd(11)} JPEG/WebRTC bandwidth: ${ratio.toFixed(1)}x (per engine frame ${per_frame.toFixed(1)}x; goal >= 5x)`);
  }
  console.log(`# input → shown: ${step_count} single orbit steps 0.7 s apart per run; shared = input → the frame's arrival at the floor client`);
  console.log('size        path      shared p50 / p99   shown p50 / p99   steps');
  for (const line of step_lines) console.log(line);
  console.log(`# load average after: ${load()}`);
} finally {
  await browser.close();
  hub.child.kill('SIGTERM');
  await new Promise((ok) => hub.child.on('exit', ok));
  if (process.env.BENCH_KEEP_LOG) {
    try { console.log(readFileSync(join(hub.data_dir, 'rtc.log'), 'utf8').split('\n').filter((l) => /frames:|ceiling/.test(l)).join('\n')); } catch {}
  }
  rmSync(hub.data_dir, { recursive: true, force: true });
}
