// SPDX-License-Identifier: Apache-2.0
import { resolve } from 'node:path';
import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioDriver } from './studio';

/// The studio with the real Remotion engine (engines/remotion, Debian chromium): a project made
/// from the template, its live preview through the hub's /preview/<session>/ proxy (HTTP and
/// Vite's HMR socket), an edit that hot-reloads the player without reloading the page, a syntax
/// error the page reports (shown in the chat, and sent to the hub as preview:error), and a still
/// rendered through the tool form. Screenshots: <artifacts>/remotion/.

const engine = resolve(import.meta.dirname, '..', '..', 'engines', 'remotion', 'dist', 'src', 'main.js');
const template = resolve(import.meta.dirname, '..', '..', 'engines', 'remotion', 'template');
const config = `[engines.remotion]\ncommand = ["node", ${JSON.stringify(engine)}]\ntemplate = ${JSON.stringify(template)}\n`;

let studio: StudioDriver;
let session_id = '';

function preview_frame(): Frame {
  const frame = studio.page.frames().find((f) => f.url().includes('/preview/'));
  if (!frame) throw new Error('no preview frame');
  return frame;
}

/// Seeks the player to `frame` the way the app's timeline does.
async function seek(frame: number): Promise<void> {
  await studio.page.evaluate((to) => {
    const iframe = document.querySelector('iframe') as HTMLIFrameElement;
    iframe.contentWindow!.postMessage({ source: 'atelier-app', type: 'seek', frame: to }, location.origin);
  }, frame);
}

async function page_text(): Promise<string> {
  return preview_frame().evaluate(() => document.body.innerText);
}

describe('the studio with Remotion', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('remotion', config);
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('creates a Remotion project and shows its live preview with the timeline', async () => {
    await studio.sign_in();
    await studio.create_project('Title card', 'remotion');
    await studio.wait_for_ready();
    const [session] = await studio.sessions();
    session_id = session!.id;
    // The player page comes through the hub, and the app draws the composition's sequences.
    await studio.page.locator('iframe').waitFor({ timeout: 60_000 });
    await expect.poll(() => studio.page.frames().some((f) => f.url().includes(`/preview/${session_id}/`)), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => studio.page.locator('.timeline-bar').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await seek(60);
    await expect.poll(page_text, { timeout: 30_000 }).toContain('Hello from atelier');
    // One set of play controls (issue 19, item 9): the studio's bar; the player page has none.
    await expect(studio.page.getByRole('button', { name: /Play/ }).count()).resolves.toBe(1);
    await expect(preview_frame().locator('button, input[type="range"]').count()).resolves.toBe(0);
    await studio.shot('preview');
  });

  it('hot-reloads the player after an edit, without reloading the page', async () => {
    await preview_frame().evaluate(() => {
      (window as unknown as { __not_reloaded: boolean }).__not_reloaded = true;
    });
    const form = await studio.open_tool('files__edit_file');
    await form.getByLabel(/^path/i).fill('src/Intro.tsx');
    await form.getByLabel(/^old.text/i).fill("title: 'Hello from atelier'");
    await form.getByLabel(/^new.text/i).fill("title: 'Hot reloaded title'");
    await studio.run(form);
    await seek(60);
    await expect.poll(page_text, { timeout: 30_000 }).toContain('Hot reloaded title');
    // The same document: HMR through the proxied WebSocket, not a reload.
    expect(await preview_frame().evaluate(() => (window as unknown as { __not_reloaded?: boolean }).__not_reloaded)).toBe(true);
    await studio.shot('hot-reloaded');
  });

  it('shows a syntax error the preview reports and sends it to the hub', async () => {
    const form = await studio.open_tool('files__edit_file');
    await form.getByLabel(/^path/i).fill('src/Intro.tsx');
    await form.getByLabel(/^old.text/i).fill("title: 'Hot reloaded title'");
    await form.getByLabel(/^new.text/i).fill("title: 'Broken title");
    await studio.run(form);
    await studio.page.locator('.chat-log').getByText('The preview failed', { exact: false }).first().waitFor({ timeout: 60_000 });
    // The hub got it as preview:error and answered that no automatic fix runs without a model.
    await studio.page.locator('.chat-log').getByText('No automatic fix', { exact: false }).first().waitFor({ timeout: 30_000 });
    await studio.shot('preview-error');
    // Fixed again: the error goes away.
    await form.getByLabel(/^old.text/i).fill("title: 'Broken title");
    await form.getByLabel(/^new.text/i).fill("title: 'Fixed title'");
    await studio.run(form);
    await seek(60);
    await expect.poll(page_text, { timeout: 30_000 }).toContain('Fixed title');
    await expect.poll(() => studio.page.locator('.preview-error').count(), { timeout: 30_000 }).toBe(0);
  });

  it('renders a still through the tool form', async () => {
    const form = await studio.open_tool('remotion__render_still');
    const text = await studio.run(form);
    expect(text).toContain('frame 0 of Intro');
    await expect.poll(() => form.locator('.tool-card img').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await studio.shot('still');
  });
});
