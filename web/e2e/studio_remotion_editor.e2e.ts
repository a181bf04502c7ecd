// SPDX-License-Identifier: Apache-2.0
import { resolve } from 'node:path';
import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shots_at_sizes, StudioDriver } from './studio';

/// The Remotion studio's code editor and a broken project (issue 19) with the real Remotion
/// engine: the file tree and CodeMirror with TSX highlighting, a save through the engine's
/// `files__write_file` that breaks the project, the error staying over the player (also after
/// the page says `ready` again) with one chat notice, the code frame preformatted and no server
/// paths, the error at its line in the editor, a red typecheck, and the fix clearing it.
/// Screenshots: <artifacts>/remotion_editor/.

const engine = resolve(import.meta.dirname, '..', '..', 'engines', 'remotion', 'dist', 'src', 'main.js');
const template = resolve(import.meta.dirname, '..', '..', 'engines', 'remotion', 'template');
const config = `[engines.remotion]\ncommand = ["node", ${JSON.stringify(engine)}]\ntemplate = ${JSON.stringify(template)}\n`;

interface Sent {
  type: string;
  payload?: Record<string, unknown>;
}

let studio: StudioDriver;
const sent: Sent[] = [];

function preview_frame(): Frame {
  const frame = studio.page.frames().find((f) => f.url().includes('/preview/'));
  if (!frame) throw new Error('no preview frame');
  return frame;
}

/// What the preview page posted to the studio, in order (recorded in the page).
function page_messages(): Promise<string[]> {
  return studio.page.evaluate(() => (window as unknown as { __preview_messages?: string[] }).__preview_messages ?? []);
}

describe('the Remotion code editor', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('remotion_editor', config);
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

  it('shows the project’s files and a file in CodeMirror with TSX highlighting', async () => {
    const page = studio.page;
    await studio.sign_in();
    await studio.create_project('Code', 'remotion');
    await studio.wait_for_ready();
    await expect.poll(() => page.frames().some((f) => f.url().includes('/preview/')), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => page.locator('.timeline-bar').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __preview_messages: string[] }).__preview_messages = seen;
      window.addEventListener('message', (event) => {
        const data = event.data as { source?: string; type?: string };
        if (data?.source === 'atelier-preview' && (data.type === 'ready' || data.type === 'error')) seen.push(data.type);
      });
    });

    await page.getByRole('tab', { name: 'Code' }).click();
    const tree = page.getByRole('navigation', { name: 'Project files' });
    await tree.getByRole('button', { name: 'Intro.tsx' }).waitFor({ timeout: 60_000 });
    await expect(tree.getByRole('button', { name: 'Root.tsx' }).count()).resolves.toBe(1);
    await tree.getByRole('button', { name: 'Intro.tsx' }).click();
    const editor = page.locator('.cm-editor');
    await expect.poll(() => editor.locator('.cm-content').textContent(), { timeout: 30_000 }).toContain("title: 'Hello from atelier'");
    // Highlighted: the keyword `export` and the string are spans of their own with a colour.
    const colours = await editor.locator('.cm-line span').evaluateAll((spans) => new Set(spans.map((span) => getComputedStyle(span).color)).size);
    expect(colours).toBeGreaterThan(2);
    await studio.shot('editor');
  });

  it('saves a syntax error through write_file; the project looks broken until it is fixed', async () => {
    const page = studio.page;
    const editor = page.locator('.cm-editor');
    await editor.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText('\nexport const broken = (;\n');
    await expect(page.getByRole('button', { name: 'Save' }).isEnabled()).resolves.toBe(true);
    await page.keyboard.press('Control+s');
    await page.locator('.code-status-line.ok').filter({ hasText: 'Saved src/Intro.tsx' }).waitFor({ timeout: 30_000 });
    const write = sent.filter((m) => m.type === 'command:send' && m.payload?.tool === 'files__write_file').pop()!;
    expect((write.payload!.arguments as { path: string; content: string }).content).toContain('export const broken = (;');

    // The Preview tab says it is broken; the error is over the player with its code frame.
    await page.locator('[role="tab"] .error-dot').waitFor({ timeout: 60_000 });
    // The error at its line in the editor.
    await expect.poll(() => editor.locator('.cm-lintRange-error').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await studio.shot('error-in-editor');
    await page.getByRole('tab', { name: 'Preview' }).click();
    const overlay = page.locator('.preview-error');
    await overlay.waitFor();
    await expect(overlay.locator('pre.code-frame').count()).resolves.toBe(1);
    const text = (await overlay.textContent()) ?? '';
    expect(text).toContain('src/Intro.tsx');
    expect(text).not.toMatch(/\/(tmp|home|root|work|var|usr)\//);
    expect(text).not.toContain('/preview/');

    // The page announces itself again after the failed update (the ~100 ms flash of the issue):
    // the error stays.
    const errors_at = (await page_messages()).indexOf('error');
    expect(errors_at).toBeGreaterThanOrEqual(0);
    await expect.poll(async () => (await page_messages()).slice(errors_at).includes('ready'), { timeout: 30_000 }).toBe(true);
    await expect(overlay.isVisible()).resolves.toBe(true);
    // One notice in the chat, and one preview:error to the hub, for the one error.
    await expect(page.locator('.chat-log .chat-notice', { hasText: 'The preview failed' }).count()).resolves.toBe(1);
    expect(sent.filter((m) => m.type === 'preview:error')).toHaveLength(1);
    await studio.shot('broken-project');
  });

  it('shows a typecheck with errors in red, at the file', async () => {
    const page = studio.page;
    await page.getByRole('tab', { name: 'Code' }).click();
    await page.getByRole('button', { name: 'Typecheck', exact: true }).click();
    const status = page.locator('.code-status-line');
    await expect.poll(() => status.textContent(), { timeout: 120_000 }).toMatch(/^typecheck: \d+ errors?$/);
    expect(await status.getAttribute('class')).toContain('error');
    await expect(page.locator('.code-problems').textContent()).resolves.toContain('src/Intro.tsx');
    await studio.shot('typecheck-red');
    await shots_at_sizes(studio, 'remotion-code');
  });

  it('clears the error once the fix is saved', async () => {
    const page = studio.page;
    const editor = page.locator('.cm-editor');
    await editor.locator('.cm-content').click();
    // CodeMirror's own undo takes the broken line back out.
    await page.keyboard.press('Control+z');
    await expect.poll(() => editor.locator('.cm-content').textContent()).not.toContain('broken');
    await page.keyboard.press('Control+s');
    await page.getByRole('tab', { name: 'Preview' }).click();
    await expect.poll(() => page.locator('.preview-error').count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => preview_frame().evaluate(() => document.body.innerText), { timeout: 30_000 }).not.toContain('broken');
    await studio.shot('fixed');
    await shots_at_sizes(studio, 'remotion-preview');
  });
});
