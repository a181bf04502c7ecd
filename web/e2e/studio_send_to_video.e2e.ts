// SPDX-License-Identifier: Apache-2.0
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// "Send to video project…" (issue 18): a still rendered by real Blender goes from the Renders tab
/// into a Remotion project (made through the API; no Remotion engine needs to run) through
/// `POST /api/projects/{id}/import`; the toast names the new file and links the project, and the
/// video project's file is byte for byte the render. Needs the hub's import endpoint. Screenshots:
/// <artifacts>/send_to_video/.

const BLENDER = process.env.ATELIER_BLENDER ?? 'blender';
const bootstrap = resolve(import.meta.dirname, '..', '..', 'engines', 'blender', 'bootstrap.py');
// The video project only receives the render (no session): its kind must be configured, and the
// test engine stands in for the Remotion engine.
const config =
  `[engines.blender]\ncommand = [${[BLENDER, '-b', '--factory-startup', '--python', bootstrap].map((part) => JSON.stringify(part)).join(', ')}]\n` +
  `[engines.remotion]\ncommand = [${JSON.stringify(Hub.test_engine())}, "--kind", "remotion"]\n`;

let studio: StudioDriver;

async function bytes(path: string): Promise<Buffer> {
  const response = await fetch(`${studio.hub.url}${path}`, { headers: { Authorization: `Bearer ${studio.hub.token}` } });
  expect(response.status, path).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('send a Blender render to a video project', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('send_to_video', config);
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('copies the render into the Remotion project, says where, and links it', async () => {
    const { status, body: video } = await studio.hub.api<{ id: string }>('POST', '/api/projects', { name: 'Intro video', kind: 'remotion' });
    expect(status).toBe(201);
    await studio.sign_in();
    const blender_id = await studio.create_project('Turntable', 'blender');
    await studio.wait_for_ready();
    const page = studio.page;

    const still = await studio.open_tool('render__render_still');
    await still.getByRole('combobox').first().selectOption({ label: 'workbench' });
    await still.getByLabel(/^width/i).fill('320');
    await still.getByLabel(/^height/i).fill('180');
    await studio.run(still);
    await page.getByRole('tab', { name: /renders/ }).click();
    const gallery = page.getByRole('region', { name: 'Render files' });
    const send = gallery.getByRole('button', { name: /^Send .*\.png to a video project$/ }).first();
    await send.waitFor({ timeout: 30_000 });
    const name = (await send.getAttribute('aria-label'))!.replace(/^Send /, '').replace(/ to a video project$/, '');
    await send.click();

    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByLabel('Video project').locator('option').allTextContents(), { timeout: 15_000 }).toEqual(['Intro video']);
    await studio.shot('send-dialog');
    await dialog.getByRole('button', { name: 'Send' }).click();
    const toast = page.getByRole('status').filter({ hasText: 'Intro video' });
    await toast.waitFor({ timeout: 30_000 });
    const path = (await toast.locator('code').textContent())!;
    expect(path).toBe(`public/${name}`);
    await expect(toast.getByRole('link', { name: 'Intro video' }).getAttribute('href')).resolves.toBe(`/p/${video.id}`);
    await studio.shot('sent-toast');

    const original = await bytes(`/api/projects/${blender_id}/renders/${encodeURIComponent(name)}`);
    const copied = await bytes(`/api/projects/${video.id}/files/public/${encodeURIComponent(name)}`);
    expect(copied.equals(original)).toBe(true);
    expect(studio.problems).toEqual([]);
  });
});
