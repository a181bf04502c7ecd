// SPDX-License-Identifier: Apache-2.0
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { artifacts_dir, canvas_samples, launch_chromium } from './browser';
import { Hub } from './hub';

export interface SessionInfo {
  id: string;
  project_id: string;
  state: string;
  engine_pid: number;
}

/// One scenario's hub, browser and page, and the steps every scenario takes. Screenshots are
/// numbered in the order they were taken, under <artifacts>/<name>/.
export class StudioDriver {
  page!: Page;
  readonly problems: string[] = [];
  /// The kind buttons the create form offered last time (create_project).
  kinds_offered: string[] = [];
  private browser!: Browser;
  private context!: BrowserContext;
  private step = 0;

  private constructor(
    public hub: Hub,
    readonly artifacts: string,
  ) {}

  /// `data_dir`: serve this one (the caller removes it), so the hub can be restarted on it.
  static async start(name: string, config: string, data_dir?: string): Promise<StudioDriver> {
    const artifacts = join(artifacts_dir(), name);
    rmSync(artifacts, { recursive: true, force: true }); // only this run's screenshots
    mkdirSync(artifacts, { recursive: true });
    const hub = await Hub.start({ config, log_file: join(artifacts, 'hub.log'), ...(data_dir ? { data_dir } : {}) });
    const driver = new StudioDriver(hub, artifacts);
    try {
      driver.browser = await launch_chromium();
    } catch (error) {
      await hub.stop();
      throw error;
    }
    // A laptop screen.
    driver.context = await driver.browser.newContext({ viewport: { width: 1366, height: 768 } });
    driver.page = await driver.context.newPage();
    const page = driver.page;
    // Anything the page logs as an error, throws, or gets a 4xx/5xx for is a problem the test reports.
    page.on('console', (message) => {
      if (message.type() === 'error') driver.problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => driver.problems.push(`page error: ${String(error)}`));
    // Every text frame of the page's WebSockets, for reading a failure afterwards.
    const frames = createWriteStream(join(artifacts, 'ws.log'));
    page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string') frames.write(`→ ${frame.payload}\n`);
      });
      socket.on('framereceived', (frame) => {
        frames.write(typeof frame.payload === 'string' ? `← ${frame.payload}\n` : `← [binary ${frame.payload.length} bytes]\n`);
      });
      socket.on('close', () => frames.write('-- closed\n'));
    });
    page.on('response', (response) => {
      if (response.status() >= 400) driver.problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    });
    return driver;
  }

  /// Closes the browser and stops the hub; resolves with the hub's exit code.
  async stop(): Promise<number> {
    await this.context?.close();
    await this.browser?.close();
    return this.hub.stop();
  }

  async shot(name: string): Promise<void> {
    this.step += 1;
    await this.page.screenshot({ path: join(this.artifacts, `${String(this.step).padStart(2, '0')}-${name}.png`) });
  }

  /// Records the text of every session banner the page shows, from now on, in the page itself
  /// (a MutationObserver), so a banner that is up for a moment is not missed; read with banners().
  async record_banners(): Promise<void> {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __banners: string[] }).__banners = seen;
      const note = () => {
        const banner = document.querySelector('.banner');
        const text = banner?.textContent ?? '';
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
      note();
    });
  }

  banners(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __banners?: string[] }).__banners ?? []);
  }

  async sessions(): Promise<SessionInfo[]> {
    const { status, body } = await this.hub.api<{ items: SessionInfo[] }>('GET', '/api/sessions');
    expect(status).toBe(200);
    return body.items;
  }

  async sign_in(): Promise<void> {
    await this.page.goto(`${this.hub.url}/?token=${this.hub.token}`);
    await this.page.waitForURL(`${this.hub.url}/`);
  }

  /// Creates a project through the form, whose kind buttons are the hub's configured engine kinds,
  /// and returns its id once the studio is open.
  async create_project(name: string, kind: string): Promise<string> {
    const page = this.page;
    const empty = page.getByRole('button', { name: 'Create your first project' });
    await (await empty.isVisible() ? empty : page.getByRole('button', { name: '+ New project' })).click();
    const form = page.getByRole('form', { name: 'New project' });
    await form.getByPlaceholder('Low-poly island').fill(name);
    const kinds = form.getByRole('group', { name: 'Kind' }).getByRole('button');
    await kinds.first().waitFor();
    this.kinds_offered = (await kinds.allTextContents()).map((text) => text.trim());
    const label = kind === 'blender' ? 'Blender' : kind === 'remotion' ? 'Remotion' : kind;
    await form.getByRole('group', { name: 'Kind' }).getByRole('button', { name: label, exact: true }).click();
    await this.shot('create-form');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/p\/[^/]+$/);
    return decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
  }

  /// The studio is ready when the tools tab counts the engine's tools and no banner shows.
  async wait_for_ready(): Promise<void> {
    await this.page.getByRole('tab', { name: /^tools\s*\d+$/ }).waitFor();
    await this.page.locator('.banner').waitFor({ state: 'detached' });
  }

  /// Opens a tool's generated form in the tools tab (`tool` is the full name, addon__name).
  async open_tool(tool: string): Promise<Locator> {
    await this.page.getByRole('tab', { name: /tools/ }).click();
    const form = this.page.getByRole('form', { name: `Run ${tool}` });
    if (!(await form.isVisible())) {
      await this.page.getByRole('searchbox', { name: 'Search tools' }).fill(tool.split('__').pop()!);
      await this.page.getByRole('button', { name: new RegExp(`^${tool.split('__').pop()}`) }).first().click();
      await this.page.getByRole('searchbox', { name: 'Search tools' }).fill('');
    }
    await form.waitFor();
    return form;
  }

  /// Runs the open form and waits for this run's result card (earlier results are dismissed
  /// first, so the one card left is this run's); returns its text.
  async run(form: Locator): Promise<string> {
    while ((await form.locator('.tool-card').count()) > 0) {
      await form.getByRole('button', { name: 'Dismiss result' }).first().click();
    }
    await form.getByRole('button', { name: /^Run/ }).click();
    const card = form.locator('.tool-card:not(.running)');
    await card.waitFor({ timeout: 60_000 });
    const text = (await card.textContent()) ?? '';
    expect(await card.getAttribute('class'), text).toContain('ok');
    return text;
  }

  canvas(): Promise<number[]> {
    return canvas_samples(this.page);
  }
}

/// Screenshots of the page at the two sizes issue 19 checks by eye (1440×900, 1024×700), each
/// after the layout settled; fails when the page scrolls sideways at either size.
export async function shots_at_sizes(studio: StudioDriver, name: string, settled?: () => Promise<void>): Promise<void> {
  for (const [width, height] of [
    [1440, 900],
    [1024, 700],
  ] as const) {
    await studio.page.setViewportSize({ width, height });
    await studio.page.waitForFunction(([w, h]) => window.innerWidth === w && window.innerHeight === h, [width, height]);
    await settled?.();
    await studio.shot(`${name}-${width}x${height}`);
    const sideways = await studio.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(sideways, `${name} at ${width}×${height} scrolls sideways`).toBeLessThanOrEqual(0);
  }
  await studio.page.setViewportSize({ width: 1366, height: 768 });
}
