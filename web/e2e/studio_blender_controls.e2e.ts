// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samples_changed } from './browser';
import { shots_at_sizes, StudioDriver } from './studio';

/// The Blender studio's controls (issue 19) with real Blender: the viewport toolbar sends
/// `viewport:configure {width, height, shading, view}` with the panel's size (the frames then have
/// the panel's size, so they fill it), Undo / Redo and their keys, a multi-line `execute_python`,
/// a vector filled in part, and renders that can be cancelled and open in the gallery's viewer and
/// player. Every text frame the page sends is read from the page's WebSocket. Screenshots:
/// <artifacts>/blender_controls/.

const BLENDER = process.env.ATELIER_BLENDER ?? 'blender';
const bootstrap = resolve(import.meta.dirname, '..', '..', 'engines', 'blender', 'bootstrap.py');
// execute_python is off unless the engine's configuration turns it on.
const command = ['env', 'ATELIER_BLENDER_EXECUTE_PYTHON=1', BLENDER, '-b', '--factory-startup', '--python', bootstrap];
// The JPEG viewport path: these tests read the frame size the overlay shows and sample frames
// (web/e2e/viewport_webrtc.e2e.ts covers the WebRTC path).
const config = `[engines.blender]\ncommand = [${command.map((part) => JSON.stringify(part)).join(', ')}]\n\n[webrtc]\nenabled = false\n`;

interface Sent {
  type: string;
  id?: string;
  payload?: Record<string, unknown>;
}

let studio: StudioDriver;
const sent: Sent[] = [];
const received: Sent[] = [];

function sent_of(type: string): Sent[] {
  return sent.filter((message) => message.type === type);
}

function last_command(tool: string): Sent | undefined {
  return sent_of('command:send').filter((message) => message.payload?.tool === tool).pop();
}

async function summary(): Promise<string> {
  return (await studio.page.locator('.scene-summary').textContent()) ?? '';
}

/// The objects of the engine's latest scene summary the page received.
function scene_objects(): { name: string; location: number[] }[] {
  for (let i = received.length - 1; i >= 0; i--) {
    const message = received[i]!;
    const summary = message.type === 'scene:updated' ? message.payload?.summary : message.type === 'session:ready' ? message.payload?.scene : undefined;
    if (summary && typeof summary === 'object') return ((summary as { objects?: { name: string; location: number[] }[] }).objects ?? []);
  }
  return [];
}

describe('the Blender studio controls', () => {
  beforeAll(async () => {
    expect(() => execFileSync(BLENDER, ['--version'], { stdio: 'ignore', timeout: 60_000 }), `${BLENDER} --version failed: install Blender`).not.toThrow();
    studio = await StudioDriver.start('blender_controls', config);
    studio.page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string') sent.push(JSON.parse(frame.payload) as Sent);
      });
      socket.on('framereceived', (frame) => {
        if (typeof frame.payload === 'string') received.push(JSON.parse(frame.payload) as Sent);
      });
    });
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('sends the panel’s size, and the frames then fill the panel', async () => {
    await studio.sign_in();
    await studio.create_project('Controls', 'blender');
    await studio.wait_for_ready();
    await studio.page.locator('.viewport .overlay').waitFor({ timeout: 60_000 });
    // The panel settles (the timeline appears with the scene's frame range); the last size sent is its size.
    const panel_size = () => studio.page.locator('.viewport').evaluate((element) => ({ width: element.clientWidth, height: element.clientHeight }));
    await expect
      .poll(async () => JSON.stringify(sent_of('viewport:configure').pop()?.payload) === JSON.stringify({ ...(await panel_size()), shading: 'solid', view: 'free' }), { timeout: 30_000 })
      .toBe(true);
    const panel = await panel_size();
    // The engine renders at that size: the frame has the panel's aspect, no letterbox.
    await expect.poll(() => studio.page.locator('.viewport .overlay').textContent(), { timeout: 60_000 }).toContain(`${panel.width}×${panel.height}`);
    await studio.shot('frame-fills-panel');
  });

  it('switches the shading and the camera view, and a frame follows', async () => {
    const page = studio.page;
    const toolbar = page.getByRole('toolbar', { name: 'Viewport' });
    const shading = toolbar.getByRole('radiogroup', { name: 'Shading' });
    await expect(shading.getByRole('radio', { name: 'Solid' }).getAttribute('aria-checked')).resolves.toBe('true');

    const before = await studio.canvas();
    await shading.getByRole('radio', { name: 'Rendered' }).click();
    await expect(shading.getByRole('radio', { name: 'Rendered' }).getAttribute('aria-checked')).resolves.toBe('true');
    await expect.poll(() => sent_of('viewport:configure').pop()?.payload?.shading).toBe('rendered');
    await expect.poll(async () => samples_changed(before, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    await studio.shot('rendered-shading');

    await shading.getByRole('radio', { name: 'Material' }).click();
    await expect.poll(() => sent_of('viewport:configure').pop()?.payload).toMatchObject({ shading: 'material', view: 'free' });

    const camera = toolbar.getByRole('button', { name: /Camera view/ });
    await expect(camera.getAttribute('aria-pressed')).resolves.toBe('false');
    await camera.click();
    await expect(camera.getAttribute('aria-pressed')).resolves.toBe('true');
    await expect.poll(() => sent_of('viewport:configure').pop()?.payload).toMatchObject({ shading: 'material', view: 'camera' });
    await studio.shot('camera-view');
    // Back to solid and the free view for the steps below.
    await camera.click();
    await shading.getByRole('radio', { name: 'Solid' }).click();
    await expect.poll(() => sent_of('viewport:configure').pop()?.payload).toMatchObject({ shading: 'solid', view: 'free' });
  });

  it('undoes and redoes with the buttons and with Ctrl+Z / Ctrl+Shift+Z', async () => {
    const page = studio.page;
    const form = await studio.open_tool('modeling__add_primitive');
    await form.getByRole('combobox').first().selectOption({ label: 'monkey' });
    await form.getByLabel(/^name/i).fill('Suzanne');
    await studio.run(form);
    await expect.poll(summary, { timeout: 30_000 }).toContain('Suzanne');

    await page.getByRole('toolbar', { name: 'Viewport' }).getByRole('button', { name: /Undo/ }).click();
    await expect.poll(summary, { timeout: 30_000 }).not.toContain('Suzanne');
    expect(last_command('router__undo')).toBeDefined();
    await page.getByRole('toolbar', { name: 'Viewport' }).getByRole('button', { name: /Redo/ }).click();
    await expect.poll(summary, { timeout: 30_000 }).toContain('Suzanne');

    // The keys, with the focus on the viewport (not in a text field).
    await page.locator('.viewport canvas').focus();
    await page.keyboard.press('Control+z');
    await expect.poll(summary, { timeout: 30_000 }).not.toContain('Suzanne');
    await page.keyboard.press('Control+Shift+Z');
    await expect.poll(summary, { timeout: 30_000 }).toContain('Suzanne');
    expect(sent_of('command:send').filter((m) => m.payload?.tool === 'router__undo')).toHaveLength(2);
    expect(sent_of('command:send').filter((m) => m.payload?.tool === 'router__redo')).toHaveLength(2);
    await studio.shot('undo-redo');
  });

  it('keeps the newlines of multi-line code (execute_python)', async () => {
    const form = await studio.open_tool('router__execute_python');
    const code = form.getByLabel(/^code/i);
    expect(await code.evaluate((element) => element.tagName)).toBe('TEXTAREA');
    await code.fill('import bpy\nnames = sorted(o.name for o in bpy.data.objects)\nresult = {"count": len(names), "names": names}');
    const text = await studio.run(form);
    expect(text).toContain('Suzanne');
    expect(String(last_command('router__execute_python')?.payload?.arguments && (last_command('router__execute_python')!.payload!.arguments as { code: string }).code)).toContain('\nnames = ');
    await studio.shot('execute-python');
  });

  it('moves an object with a vector filled in part: the empty component keeps its value', async () => {
    const cube = scene_objects().find((object) => object.name === 'Cube')!;
    expect(cube).toBeDefined();
    const form = await studio.open_tool('scene__transform_object');
    // The object-name field offers the scene's objects.
    const name = form.getByLabel(/^name/i);
    expect(await name.evaluate((element) => Array.from((element as HTMLInputElement).list?.options ?? []).map((o) => o.value))).toEqual(expect.arrayContaining(['Cube', 'Suzanne']));
    await name.fill('Cube');
    await form.getByRole('spinbutton', { name: 'Location x' }).fill('1.5');
    await form.getByRole('spinbutton', { name: 'Location y' }).fill('-2');
    await form.getByRole('spinbutton', { name: 'Location z' }).fill('');
    await studio.run(form);
    const args = last_command('scene__transform_object')!.payload!.arguments as { location: number[] };
    expect(args.location).toEqual([1.5, -2, cube.location[2]]);
    await expect.poll(() => scene_objects().find((object) => object.name === 'Cube')?.location, { timeout: 30_000 }).toEqual([1.5, -2, cube.location[2]]);
  });

  it('cancels a running render, and leaves no job running', async () => {
    const page = studio.page;
    const form = await studio.open_tool('render__render_animation');
    await form.getByRole('combobox').first().selectOption({ label: 'workbench' });
    await form.getByLabel(/^width/i).fill('320');
    await form.getByLabel(/^height/i).fill('180');
    await form.getByLabel(/^frame start/i).fill('1');
    await form.getByLabel(/^frame end/i).fill('400');
    await form.getByRole('button', { name: /^Run/ }).click();
    await page.getByRole('tab', { name: /renders/ }).click();
    const job = page.locator('.render-job').first();
    const cancel = job.getByRole('button', { name: /^Cancel/ });
    await cancel.waitFor({ timeout: 60_000 });
    await cancel.click();
    await expect.poll(() => job.locator('.badge').textContent(), { timeout: 60_000 }).toBe('cancelled');
    expect(sent_of('command:cancel')).toHaveLength(1);
    await expect.poll(() => page.locator('.render-job .badge', { hasText: 'running' }).count()).toBe(0);
    await expect(job.getByRole('button', { name: /^Cancel/ }).count()).resolves.toBe(0);
    await studio.shot('render-cancelled');
  });

  it('shows renders in a gallery, with a video player and an image viewer', async () => {
    const page = studio.page;
    const animation = await studio.open_tool('render__render_animation');
    await animation.getByRole('combobox').first().selectOption({ label: 'workbench' });
    await animation.getByLabel(/^width/i).fill('320');
    await animation.getByLabel(/^height/i).fill('180');
    await animation.getByLabel(/^frame start/i).fill('1');
    await animation.getByLabel(/^frame end/i).fill('4');
    await expect(studio.run(animation)).resolves.toContain('renders/animation.mp4');
    const still = await studio.open_tool('render__render_still');
    await still.getByRole('combobox').first().selectOption({ label: 'workbench' });
    await still.getByLabel(/^width/i).fill('320');
    await still.getByLabel(/^height/i).fill('180');
    await studio.run(still);
    await page.getByRole('tab', { name: /renders/ }).click();
    const gallery = page.getByRole('region', { name: 'Render files' });
    // One job per render: no second entry left "running" at 100 %.
    await expect.poll(() => page.locator('.render-job .badge', { hasText: 'running' }).count()).toBe(0);

    await gallery.getByRole('button', { name: 'Open animation.mp4' }).click();
    const player = page.getByRole('dialog', { name: 'animation.mp4' });
    await expect.poll(() => player.locator('video').evaluate((video) => (video as HTMLVideoElement).duration), { timeout: 30_000 }).toBeGreaterThan(0);
    await studio.shot('video-player');
    await page.keyboard.press('Escape');
    await player.waitFor({ state: 'detached' });

    const image = (await gallery.getByRole('button', { name: /^Open .*\.png$/ }).first().getAttribute('aria-label'))!.replace('Open ', '');
    await gallery.getByRole('button', { name: `Open ${image}` }).click();
    const viewer = page.getByRole('dialog', { name: image });
    await expect.poll(() => viewer.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBe(320);
    await studio.shot('image-viewer');
    await viewer.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('tab', { name: /scene/ }).click();
    await page.getByRole('listbox', { name: 'Scene objects' }).getByRole('option', { name: /Suzanne/ }).click();
    // The engine renders at the new panel size before each picture is taken.
    const frame_fits = async () => {
      await expect
        .poll(async () => {
          const panel = await page.locator('.viewport').evaluate((element) => `${element.clientWidth}×${element.clientHeight}`);
          return ((await page.locator('.viewport .overlay').textContent()) ?? '').includes(panel);
        }, { timeout: 60_000 })
        .toBe(true);
    };
    await shots_at_sizes(studio, 'blender-studio', frame_fits);
    await page.getByRole('tab', { name: /renders/ }).click();
    await shots_at_sizes(studio, 'blender-renders', frame_fits);
    expect(studio.problems.filter((p) => !p.includes('viewport:configure') && !p.includes('shading'))).toEqual([]);
  });
});
