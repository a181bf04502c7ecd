// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// The studio's Remotion panel against the real hub, with the C++ test engine standing in for the
/// `remotion` kind and a fake preview page (fixtures/fake_preview.html) that speaks the page's side
/// of the postMessage interface. The hub's own preview proxy belongs to the Remotion engine's
/// branch; here the page's WebSocket is routed through the test, which names the preview URL in
/// `session:ready` and later sends `preview:ready`, and the page at that URL is the fixture.
/// Screenshots: <artifacts>/remotion-preview/.

const FIXTURE = readFileSync(join(import.meta.dirname, 'fixtures', 'fake_preview.html'), 'utf8');

let studio: StudioDriver;
let route: WebSocketRoute | undefined;
/// What the page sent to the hub, parsed.
const sent: { type: string; payload?: Record<string, unknown> }[] = [];
let session_id = '';

function preview_frame(): Frame {
  const frame = studio.page.frames().find((f) => f.url().includes('/preview/'));
  if (!frame) throw new Error('no preview frame');
  return frame;
}

async function received_by_page(): Promise<{ type: string; frame?: number; id?: string }[]> {
  return preview_frame().evaluate(() => (window as unknown as { __received: { type: string }[] }).__received);
}

describe('the Remotion preview panel', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('remotion-preview', `[engines.remotion]\ncommand = [${JSON.stringify(Hub.test_engine())}, "--kind", "remotion"]\n`);
    const page = studio.page;
    await page.route('**/preview/**', (request) => request.fulfill({ status: 200, contentType: 'text/html', body: FIXTURE }));
    await page.routeWebSocket(/\/ws\/browser(\?.*)?$/, (ws) => {
      route = ws;
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        if (typeof message === 'string') sent.push(JSON.parse(message));
        server.send(message);
      });
      server.onMessage((message) => {
        if (typeof message !== 'string') return ws.send(message);
        const envelope = JSON.parse(message) as { type: string; payload?: Record<string, unknown> };
        if (envelope.type === 'session:ready' && envelope.payload) {
          session_id = String(envelope.payload.session_id);
          envelope.payload.preview = `/preview/${session_id}/`;
        }
        ws.send(JSON.stringify(envelope));
      });
    });
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('shows the preview page, its compositions and the timeline of the first', async () => {
    await studio.sign_in();
    await studio.create_project('E2E video', 'remotion');
    const page = studio.page;
    await page.getByRole('region', { name: 'Preview' }).waitFor();
    const picker = page.getByRole('combobox', { name: 'Composition' });
    await expect.poll(() => picker.locator('option').allTextContents()).toEqual(['Intro', 'Outro']);
    await expect(picker.inputValue()).resolves.toBe('Intro');
    await expect.poll(() => page.locator('.timeline-bar').evaluateAll((bars) => bars.map((b) => (b as HTMLElement).dataset.sequence))).toEqual([
      'Background',
      'Title',
      'Logo',
    ]);
    // Logo runs from frame 60 for 90 frames of 150: 40 % in, 60 % wide.
    const logo = page.locator('.timeline-bar[data-sequence="Logo"]');
    await expect(logo.evaluate((b) => [(b as HTMLElement).style.left, (b as HTMLElement).style.width])).resolves.toEqual(['40%', '60%']);
    await expect(page.getByText('1280×720 · 30 fps', { exact: false }).count()).resolves.toBe(1);
    await studio.shot('preview-ready');
  });

  it('seeks where the timeline is clicked, and the playhead follows the page', async () => {
    const page = studio.page;
    const track = page.getByRole('slider', { name: 'Timeline' });
    const box = (await track.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.5 + 1, box.y + box.height / 2);
    // The click at 50 % of 150 frames is frame 75; the page answers with `frame` and the playhead moves.
    await expect.poll(async () => (await received_by_page()).filter((m) => m.type === 'seek').map((m) => m.frame)).toEqual([75]);
    await expect.poll(() => track.getAttribute('aria-valuenow')).toBe('75');
    await expect(preview_frame().locator('#frame').textContent()).resolves.toBe('frame 75');
    await track.press('ArrowRight');
    await expect.poll(() => preview_frame().locator('#frame').textContent()).toBe('frame 76');
    const playhead = () => page.locator('.timeline-playhead').evaluate((p) => parseFloat((p as HTMLElement).style.left));
    await expect.poll(playhead).toBeCloseTo((76 / 150) * 100, 2);
    await studio.shot('preview-seeked');
  });

  it('switches composition through the picker and plays', async () => {
    const page = studio.page;
    await page.getByRole('combobox', { name: 'Composition' }).selectOption('Outro');
    await expect.poll(() => page.locator('.timeline-bar').evaluateAll((bars) => bars.map((b) => (b as HTMLElement).dataset.sequence))).toEqual(['Credits']);
    await page.getByRole('button', { name: /Play/ }).click();
    await expect.poll(async () => (await received_by_page()).map((m) => m.type)).toContain('play');
    expect((await received_by_page()).find((m) => m.type === 'composition')).toEqual({ source: 'atelier-app', type: 'composition', id: 'Outro' });
    await studio.shot('preview-outro');
  });

  it('ignores preview messages that do not come from the preview page', async () => {
    const page = studio.page;
    const track = page.getByRole('slider', { name: 'Timeline' });
    const before = await track.getAttribute('aria-valuenow');
    // The top page itself posts a well-formed message: same origin, but not the iframe's window.
    await page.evaluate(() => {
      (window as unknown as { __seen: number }).__seen = 0;
      window.addEventListener('message', () => ((window as unknown as { __seen: number }).__seen += 1));
      window.postMessage({ source: 'atelier-preview', type: 'frame', frame: 33 }, window.location.origin);
    });
    await expect.poll(() => page.evaluate(() => (window as unknown as { __seen: number }).__seen)).toBe(1);
    await expect(track.getAttribute('aria-valuenow')).resolves.toBe(before);
    // One step from where the page really is: had frame 33 been taken, this would be 34.
    await track.press('ArrowRight');
    await expect.poll(() => track.getAttribute('aria-valuenow')).toBe(String(Number(before) + 1));
  });

  it('sends a preview error to the hub once and shows it in the chat', async () => {
    const page = studio.page;
    await preview_frame().evaluate(() => {
      const w = window as unknown as { __break: (text: string) => void };
      w.__break('titel is not defined');
      w.__break('titel is not defined'); // a re-render repeats it
    });
    await page.getByRole('alert').filter({ hasText: 'The preview failed' }).first().waitFor();
    await expect(page.locator('.chat-log').getByText('titel is not defined', { exact: false }).count()).resolves.toBe(1);
    await expect.poll(() => sent.filter((m) => m.type === 'preview:error').length).toBe(1);
    const error = sent.find((m) => m.type === 'preview:error')!;
    expect(error.payload).toMatchObject({ message: 'titel is not defined', composition: 'Outro' });
    expect(String(error.payload?.stack)).toContain('src/Title.tsx:12:7');
    await studio.shot('preview-error');
  });

  it("shows the engine's own preview error, and reloads the page when the preview server restarted", async () => {
    const page = studio.page;
    // A bundling error the engine reports (the hub forwards its preview/error to the tabs).
    route!.send(JSON.stringify({ type: 'preview:error', payload: { message: "Cannot find module './Titel'" } }));
    await page.locator('.preview-error').filter({ hasText: "Cannot find module './Titel'" }).waitFor();
    await page.locator('.chat-log').getByText("The preview failed: Cannot find module './Titel'").waitFor();
    await studio.shot('engine-preview-error');
    const old = preview_frame();
    route!.send(JSON.stringify({ type: 'preview:ready', payload: { url: `/preview/${session_id}/` } }));
    await expect.poll(() => page.frames().some((f) => f !== old && f.url().includes('/preview/'))).toBe(true);
    // The new page starts on its default composition; the studio asks it for the one the user picked.
    await expect.poll(async () => (await received_by_page()).filter((m) => m.type === 'composition').map((m) => m.id)).toEqual(['Outro']);
    await expect.poll(() => page.getByRole('combobox', { name: 'Composition' }).inputValue()).toBe('Outro');
    // The new page is ready without an error: the error panel is gone.
    await expect.poll(() => page.locator('.preview-error').count()).toBe(0);
    await expect.poll(() => page.locator('.timeline-bar').count()).toBeGreaterThan(0);
    await studio.shot('preview-reloaded');
    // On a small laptop screen the bar, the player and the timeline still fit the panel.
    await page.setViewportSize({ width: 1024, height: 700 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).resolves.toBe(true);
    const panel = (await page.getByRole('region', { name: 'Preview' }).boundingBox())!;
    const timeline = (await page.getByRole('slider', { name: 'Timeline' }).boundingBox())!;
    expect(timeline.x + timeline.width).toBeLessThanOrEqual(panel.x + panel.width + 0.5);
    expect(timeline.y + timeline.height).toBeLessThanOrEqual(700);
    await studio.shot('preview-1024x700');
  });

  it('ignores messages from the preview frame once it shows a page of another origin', async () => {
    const page = studio.page;
    await page.route('http://elsewhere.test/**', (request) =>
      request.fulfill({
        status: 200,
        contentType: 'text/html',
        body: "<script>parent.postMessage({ source: 'atelier-preview', type: 'frame', frame: 44 }, '*');</script>",
      }),
    );
    await page.evaluate(() => {
      (window as unknown as { __foreign: number }).__foreign = 0;
      window.addEventListener('message', (event) => {
        if (event.origin === 'http://elsewhere.test') (window as unknown as { __foreign: number }).__foreign += 1;
      });
    });
    const track = page.getByRole('slider', { name: 'Timeline' });
    const before = await track.getAttribute('aria-valuenow');
    await preview_frame().goto('http://elsewhere.test/page');
    await expect.poll(() => page.evaluate(() => (window as unknown as { __foreign: number }).__foreign)).toBe(1);
    // Had frame 44 been taken, one step would give 45.
    await track.press('ArrowRight');
    await expect.poll(() => track.getAttribute('aria-valuenow')).toBe(String(Number(before) + 1));
    expect(studio.problems).toEqual([]);
  });
});
