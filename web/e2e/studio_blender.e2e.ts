// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samples_changed } from './browser';
import { StudioDriver, type SessionInfo } from './studio';

/// The studio with real Blender (engines/blender, headless): the first frame, a primitive added
/// through its generated form, an orbit by dragging the viewport, a refresh into the same
/// session, the versions with their .blend/.glb downloads, a restore, the delete. Screenshots go
/// to <artifacts>/blender/. Without `blender` installed the run fails (scripts/deps.sh test
/// installs it).

const BLENDER = process.env.ATELIER_BLENDER ?? 'blender';

function blender_installed(): boolean {
  try {
    execFileSync(BLENDER, ['--version'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

const bootstrap = resolve(import.meta.dirname, '..', '..', 'engines', 'blender', 'bootstrap.py');
const config = `[engines.blender]\ncommand = [${[BLENDER, '-b', '--factory-startup', '--python', bootstrap].map((part) => JSON.stringify(part)).join(', ')}]\n`;

let studio: StudioDriver;
let project_id = '';
let first_session: SessionInfo | undefined;
let before_orbit: number[] = [];

describe('the studio with Blender', () => {
  beforeAll(async () => {
    // A missing Blender fails the run instead of skipping it: CI installs it (scripts/deps.sh test).
    expect(blender_installed(), `${BLENDER} --version failed: install Blender (scripts/deps.sh test)`).toBe(true);
    studio = await StudioDriver.start('blender', config);
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('creates a Blender project and shows its first frame', async () => {
    await studio.sign_in();
    project_id = await studio.create_project('Blender island', 'blender');
    await studio.wait_for_ready();
    // The engine sends a frame as soon as it is connected.
    await studio.page.locator('.viewport .overlay').waitFor({ timeout: 60_000 });
    await studio.shot('first-frame');
    const list = await studio.sessions();
    expect(list).toHaveLength(1);
    first_session = list[0];
    expect(first_session!.engine_pid).toBeGreaterThan(0);
  });

  it('adds a monkey through the generated form and the viewport changes', async () => {
    const before = await studio.canvas();
    const form = await studio.open_tool('modeling__add_primitive');
    // enum → select, vector3 → x/y/z, float with min/max, colour → picker + hex field.
    await form.getByRole('combobox').first().selectOption({ label: 'monkey' });
    await form.getByLabel(/^name/i).fill('Suzanne');
    await form.getByRole('spinbutton', { name: 'Location x' }).fill('2.5'); // beside the default cube
    await form.getByPlaceholder('#RRGGBB').fill('#e04a3a');
    await expect(studio.run(form)).resolves.toContain('Suzanne');
    await expect.poll(async () => samples_changed(before, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    await studio.shot('monkey-added');
  });

  it('orbits the view by dragging the viewport, zooms with the wheel and resets the view', async () => {
    const page = studio.page;
    before_orbit = await studio.canvas();
    const box = (await page.locator('.viewport canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 160, box.y + box.height / 2 + 40, { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => samples_changed(before_orbit, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    await studio.shot('orbited');
    // The wheel zooms (sent as viewport:camera zoom, coalesced per animation frame).
    const before_zoom = await studio.canvas();
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => samples_changed(before_zoom, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    await studio.shot('zoomed');
    // "Reset view" (viewport:camera reset) goes back to the engine's framing of the whole scene.
    const zoomed = await studio.canvas();
    await page.getByRole('button', { name: 'Reset view' }).click();
    await expect.poll(async () => samples_changed(zoomed, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    await studio.shot('view-reset');
  });

  it('keeps the same Blender process across a page refresh', async () => {
    await studio.page.reload();
    await studio.wait_for_ready();
    // The re-attached page asks for the current view (a zero camera move) and gets a frame.
    await studio.page.locator('.viewport .overlay').waitFor({ timeout: 60_000 });
    await studio.shot('after-refresh');
    const list = await studio.sessions();
    expect(list).toHaveLength(1);
    expect(list[0]!.id).toBe(first_session!.id);
    expect(list[0]!.engine_pid).toBe(first_session!.engine_pid);
  });

  it('lists the version with its files, and restoring brings back the earlier scene', async () => {
    const page = studio.page;
    await page.getByRole('tab', { name: /versions/ }).click();
    const items = page.locator('.version-list > li');
    await items.first().waitFor();
    await expect(items.nth(0).locator('.version-msg').textContent()).resolves.toContain('add_primitive');
    // The .glb of that version downloads (the page's own cookie, the link the user clicks).
    const glb = items.nth(0).getByRole('link', { name: /scene\.glb/ });
    const response = await page.request.get(new URL((await glb.getAttribute('href'))!, studio.hub.url).toString());
    expect(response.status()).toBe(200);
    expect((await response.body()).subarray(0, 4).toString()).toBe('glTF');
    await studio.shot('versions');

    const count = await items.count();
    const [before] = await studio.sessions();
    const before_restore = await studio.canvas();
    await items.nth(count - 1).getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    // The restore is the newest version.
    await expect.poll(() => items.first().locator('.version-msg').textContent(), { timeout: 60_000 }).toMatch(/^Restore/);
    await studio.wait_for_ready();
    // The same Blender process opened the restored version: a new frame without the monkey.
    await expect.poll(async () => samples_changed(before_restore, await studio.canvas()), { timeout: 60_000 }).toBeGreaterThan(0);
    const [after] = await studio.sessions();
    expect([after?.id, after?.engine_pid]).toEqual([before?.id, before?.engine_pid]);
    await studio.shot('restored');
    // The scene line under the viewport describes the restored scene: no monkey.
    await expect.poll(() => page.locator('.scene-summary').textContent(), { timeout: 30_000 }).not.toContain('Suzanne');

    const form = await studio.open_tool('scene__list_objects');
    await expect(studio.run(form)).resolves.not.toContain('Suzanne');
  });

  it('renders a short animation with a progress bar to 100 % and its output', async () => {
    const page = studio.page;
    const form = await studio.open_tool('render__render_animation');
    await form.getByRole('combobox').first().selectOption({ label: 'workbench' });
    await form.getByLabel(/^width/i).fill('320');
    await form.getByLabel(/^height/i).fill('180');
    await form.getByLabel(/^frame start/i).fill('1');
    await form.getByLabel(/^frame end/i).fill('4');
    await expect(studio.run(form)).resolves.toContain('renders/animation.mp4');
    await page.getByRole('tab', { name: /renders/ }).click();
    const job = page.locator('.render-job').first();
    await expect(job.getByRole('progressbar').getAttribute('aria-valuenow')).resolves.toBe('100');
    const link = job.getByRole('link', { name: /animation\.mp4/ });
    await expect(link.getAttribute('href')).resolves.toBe(`/api/projects/${project_id}/renders/animation.mp4`);
    await studio.shot('rendered');
    const listed = await studio.hub.api<{ renders?: { name: string }[] }>('GET', `/api/projects/${project_id}/renders`);
    expect(listed.status).toBe(200);
    expect(listed.body.renders?.map((r) => r.name)).toContain('animation.mp4');
    await page.locator('.render-files').getByRole('link', { name: /animation\.mp4/ }).waitFor();
    const mp4 = await page.evaluate(async (href) => {
      const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
      return String.fromCharCode(...bytes.slice(4, 8));
    }, (await link.getAttribute('href'))!);
    expect(mp4).toBe('ftyp');
  });

  it('deletes the project', async () => {
    const page = studio.page;
    await page.getByRole('link', { name: 'atelier' }).click();
    const card = page.getByRole('article').filter({ hasText: 'Blender island' });
    // Its thumbnail is the last frame the studio showed.
    await card.locator('.thumb img').waitFor();
    await studio.shot('projects-with-thumbnail');
    await card.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    const { status } = await studio.hub.api('GET', `/api/projects/${project_id}`);
    expect(status).toBe(404);
    expect(studio.problems).toEqual([]);
  });
});
