// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samples_changed } from './browser';
import { StudioDriver } from './studio';

/// The Blender viewport as WebRTC video (docs/viewport.md): real Blender, the real atelier-rtc
/// helper, Debian's chromium on loopback. The studio receives a video track whose frames decode,
/// over a candidate pair on 127.0.0.1; a command's change shows in the video; killing the helper
/// turns the tab back to JPEG frames without a reload. Screenshots go to <artifacts>/webrtc/.

const BLENDER = process.env.ATELIER_BLENDER ?? 'blender';
const bootstrap = resolve(import.meta.dirname, '..', '..', 'engines', 'blender', 'bootstrap.py');
const config =
  `[engines.blender]\ncommand = [${[BLENDER, '-b', '--factory-startup', '--python', bootstrap].map((part) => JSON.stringify(part)).join(', ')}]\n` +
  // Host candidates on loopback only: no test traffic to any other address.
  `[webrtc]\nlocal_addresses = "127.0.0.1"\n`;

// Keeps every RTCPeerConnection the page makes, so the test can read its getStats().
const RECORD_PEERS = `(() => {
  const Original = window.RTCPeerConnection;
  const peers = [];
  window.__atelier_peers = peers;
  window.RTCPeerConnection = function (...args) { const pc = new Original(...args); peers.push(pc); return pc; };
  window.RTCPeerConnection.prototype = Original.prototype;
  Object.assign(window.RTCPeerConnection, Original);
})();`;

interface VideoStats {
  frames_decoded: number;
  local_address: string;
  remote_address: string;
  codec: string;
}

let studio: StudioDriver;

/// The latest peer connection's inbound video and selected candidate pair.
async function video_stats(): Promise<VideoStats | null> {
  return studio.page.evaluate(async () => {
    const peers = (window as unknown as { __atelier_peers: RTCPeerConnection[] }).__atelier_peers;
    const pc = peers[peers.length - 1];
    if (!pc) return null;
    const report = await pc.getStats();
    const all: Array<Record<string, unknown>> = [];
    report.forEach((entry: Record<string, unknown>) => all.push(entry));
    const inbound = all.find((entry) => entry.type === 'inbound-rtp' && entry.kind === 'video');
    const transport = all.find((entry) => entry.type === 'transport');
    const pair = all.find((entry) => entry.id === transport?.selectedCandidatePairId);
    const local = all.find((entry) => entry.id === pair?.localCandidateId);
    const remote = all.find((entry) => entry.id === pair?.remoteCandidateId);
    const codec = all.find((entry) => entry.id === inbound?.codecId);
    return {
      frames_decoded: Number(inbound?.framesDecoded ?? 0),
      local_address: String(local?.address ?? ''),
      remote_address: String(remote?.address ?? ''),
      codec: String(codec?.mimeType ?? ''),
    };
  });
}

/// A 32×32 grid of RGB samples of the <video> itself, drawn into a fresh canvas.
async function video_samples(): Promise<number[]> {
  return studio.page.locator('.viewport video').evaluate((element) => {
    const video = element as HTMLVideoElement;
    if (video.videoWidth === 0) return [];
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(video, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const samples: number[] = [];
    for (let gy = 0; gy < 32; gy++) {
      for (let gx = 0; gx < 32; gx++) {
        const at = (Math.floor(((gy + 0.5) * canvas.height) / 32) * canvas.width + Math.floor(((gx + 0.5) * canvas.width) / 32)) * 4;
        samples.push(data[at]!, data[at + 1]!, data[at + 2]!);
      }
    }
    return samples;
  });
}

/// The helper of this hub: the process whose command line names this hub's socket.
function helper_pid(): number {
  const socket = join(studio.hub.data_dir, 'rtc.sock');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('atelier-rtc') && argv.includes(socket)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return 0;
}

async function add_monkey(x: string): Promise<void> {
  const form = await studio.open_tool('modeling__add_primitive');
  await form.getByRole('combobox').first().selectOption({ label: 'monkey' });
  await form.getByRole('spinbutton', { name: 'Location x' }).fill(x);
  await form.getByPlaceholder('#RRGGBB').fill('#e04a3a');
  await studio.run(form);
}

describe('the viewport over WebRTC', () => {
  beforeAll(async () => {
    execFileSync(BLENDER, ['--version'], { stdio: 'ignore', timeout: 60_000 });
    studio = await StudioDriver.start('webrtc', config);
    await studio.page.addInitScript(RECORD_PEERS);
  });

  afterAll(async () => {
    // The helper's log beside the hub's, for reading a failure.
    if (studio) copyFileSync(join(studio.hub.data_dir, 'rtc.log'), join(studio.artifacts, 'rtc.log'));
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('receives the viewport as a video track, decoded, over 127.0.0.1', async () => {
    await studio.sign_in();
    await studio.create_project('Video island', 'blender');
    await studio.wait_for_ready();
    await studio.page.locator('.viewport-path[data-path="webrtc"]').waitFor({ timeout: 60_000 });
    await studio.shot('webrtc-live');
    await expect.poll(async () => (await video_stats())?.frames_decoded ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
    const stats = (await video_stats())!;
    expect(stats.local_address).toBe('127.0.0.1');
    expect(stats.remote_address).toBe('127.0.0.1');
    expect(stats.codec).toMatch(/H264|VP8/i);
    expect(await studio.page.locator('.viewport-path').textContent()).toMatch(/^WebRTC/);
  });

  it("shows a command's change in the video", async () => {
    const before = await video_samples();
    expect(before.length).toBeGreaterThan(0);
    await add_monkey('2.5');
    await expect.poll(async () => samples_changed(before, await video_samples()), { timeout: 60_000 }).toBeGreaterThan(0);
    expect(await studio.page.locator('.viewport-path').getAttribute('data-path')).toBe('webrtc');
    await studio.shot('webrtc-monkey');
  });

  it('falls back to JPEG frames without a reload when the helper dies', async () => {
    const pid = helper_pid();
    expect(pid).toBeGreaterThan(0);
    const navigations: string[] = [];
    studio.page.on('framenavigated', (frame) => navigations.push(frame.url()));
    process.kill(pid, 'SIGKILL');
    await studio.page.locator('.viewport-path[data-path="jpeg"]').waitFor({ timeout: 30_000 });
    // JPEG frames flow again: a change shows in the canvas they are drawn on.
    const before = await studio.canvas();
    await add_monkey('-2.5');
    await expect.poll(async () => samples_changed(before, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    expect(navigations).toEqual([]);
    await studio.shot('jpeg-fallback');
  });
});
