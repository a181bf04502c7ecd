// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samples_changed } from './browser';
import { shots_at_sizes, StudioDriver } from './studio';

/// The timeline's Play with real Blender (issue 19, item 4): a quick Workbench preview. Play asks
/// for the frames one after another (`animation__set_frame`, which changes the view, not the
/// document: no versions) while the viewport draws in solid shading, whatever shading was chosen;
/// Stop returns to the frame the preview began at and to the chosen shading. Every text frame the
/// page sends is read from its WebSocket. Screenshots: <artifacts>/blender_play/.

const BLENDER = process.env.ATELIER_BLENDER ?? 'blender';
const bootstrap = resolve(import.meta.dirname, '..', '..', 'engines', 'blender', 'bootstrap.py');
const command = [BLENDER, '-b', '--factory-startup', '--python', bootstrap];
// The JPEG viewport path: the canvas is sampled.
const config = `[engines.blender]\ncommand = [${command.map((part) => JSON.stringify(part)).join(', ')}]\n\n[webrtc]\nenabled = false\n`;

interface Sent {
  type: string;
  payload?: Record<string, unknown>;
}

let studio: StudioDriver;
let project_id = '';
const sent: Sent[] = [];

const frames_asked = () =>
  sent.filter((message) => message.type === 'command:send' && message.payload?.tool === 'animation__set_frame').map((message) => (message.payload!.arguments as { frame: number }).frame);
const last_configure = () => sent.filter((message) => message.type === 'viewport:configure').pop()?.payload;

/// The Content-Type of an address the page can read (its cookie signs it in).
async function fetch_head(url: string): Promise<{ headers: string | null }> {
  return studio.page.evaluate(async (target) => ({ headers: (await fetch(target)).headers.get('content-type') }), url);
}

/// The engine draws at the panel's size before each picture is taken.
async function frame_fits(): Promise<void> {
  const page = studio.page;
  await expect
    .poll(async () => {
      const panel = await page.locator('.viewport').evaluate((element) => `${element.clientWidth}×${element.clientHeight}`);
      return ((await page.locator('.viewport .overlay').textContent()) ?? '').includes(panel);
    }, { timeout: 60_000 })
    .toBe(true);
}

async function version_count(): Promise<number> {
  const { body } = await studio.hub.api<{ items: unknown[] }>('GET', `/api/projects/${project_id}/versions?limit=100`);
  return body.items.length;
}

describe('the timeline’s Play in the Blender studio', () => {
  beforeAll(async () => {
    expect(() => execFileSync(BLENDER, ['--version'], { stdio: 'ignore', timeout: 60_000 }), `${BLENDER} --version failed: install Blender`).not.toThrow();
    studio = await StudioDriver.start('blender_play', config);
    studio.page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string') sent.push(JSON.parse(frame.payload) as Sent);
      });
    });
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('plays a spinning cube as a solid preview and Stop returns to the first frame and the chosen shading', async () => {
    const page = studio.page;
    await studio.sign_in();
    project_id = await studio.create_project('Play', 'blender');
    await studio.wait_for_ready();
    const frames = await studio.open_tool('animation__set_frame_range');
    await frames.getByLabel(/^start/i).fill('1');
    await frames.getByLabel(/^end/i).fill('24');
    await studio.run(frames);
    const spin = await studio.open_tool('animation__spin');
    await spin.getByLabel(/^name/i).fill('Cube');
    await spin.getByLabel(/^frames/i).fill('24');
    await studio.run(spin);
    const timeline = page.getByRole('group', { name: 'Timeline' });
    await expect.poll(() => timeline.getByRole('slider', { name: 'Frame' }).getAttribute('max'), { timeout: 30_000 }).toBe('24');

    // The user's shading is Material preview; the preview draws in solid.
    const shading = page.getByRole('toolbar', { name: 'Viewport' }).getByRole('radiogroup', { name: 'Shading' });
    await shading.getByRole('radio', { name: 'Material' }).click();
    await expect.poll(() => last_configure()?.shading).toBe('material');
    const versions = await version_count();
    const asked_before = frames_asked().length;

    const before = await studio.canvas();
    await timeline.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => last_configure()?.shading).toBe('solid');
    // It steps through the frames in order, and the picture moves.
    await expect.poll(() => frames_asked().length - asked_before, { timeout: 120_000 }).toBeGreaterThanOrEqual(6);
    expect(frames_asked().slice(asked_before, asked_before + 6)).toEqual([2, 3, 4, 5, 6, 7]);
    await expect.poll(async () => samples_changed(before, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect(timeline.textContent()).resolves.toContain('solid preview');
    await shots_at_sizes(studio, 'playing', frame_fits);

    await timeline.getByRole('button', { name: 'Stop' }).click();
    await timeline.getByRole('button', { name: 'Play' }).waitFor({ timeout: 60_000 });
    expect(frames_asked().pop()).toBe(1);
    await expect.poll(() => last_configure()?.shading).toBe('material');
    await expect(timeline.getByRole('slider', { name: 'Frame' }).inputValue()).resolves.toBe('1');
    // Going to a frame changes the view, not the project: no version per frame.
    expect(await version_count()).toBe(versions);
    await studio.shot('stopped');
    expect(studio.problems).toEqual([]);
  });

  it('shows Blender’s viewport at each version in the versions list', async () => {
    const page = studio.page;
    await page.getByRole('tab', { name: /versions/ }).click();
    // set_frame_range and spin made a version each, with the JPEG frame the engine sent after them.
    const pictures = page.locator('.version-list > li .version-still img');
    await expect.poll(() => pictures.count(), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => pictures.first().evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(100);
    const { headers } = await fetch_head(`${studio.hub.url}${await pictures.first().getAttribute('src')}`);
    expect(headers).toBe('image/jpeg');
    await shots_at_sizes(studio, 'blender-versions', frame_fits);
    expect(studio.problems).toEqual([]);
  });
});
