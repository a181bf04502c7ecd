import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts_dir, canvas_samples, launch_chromium, samples_changed } from './browser';
import { Hub } from './hub';

/// The whole studio against the real hub and the C++ test engine (tests/engine): sign in with the
/// token link, create a project, run a tool through its generated form, watch the viewport change,
/// refresh into the same session, restore a version, delete the project. One screenshot per step
/// goes to the artifacts dir (build/e2e by default) — look at them.

interface SessionInfo {
  id: string;
  project_id: string;
  state: string;
  engine_pid: number;
}

const artifacts = join(artifacts_dir(), 'test-engine');
let hub: Hub;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let project_id = '';
let first_session: SessionInfo | undefined;
let step = 0;
const console_errors: string[] = [];

async function shot(name: string): Promise<void> {
  step += 1;
  await page.screenshot({ path: join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`) });
}

async function sessions(): Promise<SessionInfo[]> {
  const { status, body } = await hub.api<{ items: SessionInfo[] }>('GET', '/api/sessions');
  expect(status).toBe(200);
  return body.items;
}

/// The studio is ready when the tools tab counts the engine's tools and no banner shows.
async function wait_for_ready(): Promise<void> {
  await page.getByRole('tab', { name: /^tools\s*10$/ }).waitFor();
  await page.locator('.banner').waitFor({ state: 'detached' });
}

/// Opens a tool's generated form (tools tab) and returns it.
async function open_tool(name: string) {
  await page.getByRole('tab', { name: /tools/ }).click();
  const form = page.getByRole('form', { name: `Run scene__${name}` });
  if (!(await form.isVisible())) await page.getByRole('button', { name: new RegExp(`^${name}`) }).click();
  await form.waitFor();
  return form;
}

describe('the studio with the C++ test engine', () => {
  beforeAll(async () => {
    // Only this run's screenshots.
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    hub = await Hub.start({
      config: `[engines.test]\ncommand = [${JSON.stringify(Hub.test_engine())}]\n`,
      log_file: join(artifacts, 'hub.log'),
    });
    browser = await launch_chromium();
    // A laptop screen.
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') console_errors.push(message.text());
    });
    page.on('pageerror', (error) => console_errors.push(String(error)));
    page.on('response', (response) => {
      if (response.status() >= 400) console_errors.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    const code = await hub?.stop();
    // A clean exit: sessions saved, nothing leaked (ASan) — checked last so screenshots exist.
    expect(code, hub?.log()).toBe(0);
  });

  it('signs in with the token link and shows the empty projects page', async () => {
    await page.goto(`${hub.url}/?token=${hub.token}`);
    await page.waitForURL(`${hub.url}/`);
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await shot('signed-in');
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'atelier_token')?.httpOnly).toBe(true);
  });

  it('creates a project of the test kind and opens its studio', async () => {
    await page.getByRole('button', { name: 'Create your first project' }).click();
    const form = page.getByRole('form', { name: 'New project' });
    await form.getByPlaceholder('Low-poly island').fill('E2E scene');
    await form.getByRole('button', { name: 'Other…' }).click();
    await form.getByPlaceholder('as in [engines.<kind>]').fill('test');
    await shot('create-form');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/p\/[^/]+$/);
    project_id = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    await wait_for_ready();
    await shot('studio-ready');
    const list = await sessions();
    expect(list).toHaveLength(1);
    expect(list[0]!.project_id).toBe(project_id);
    expect(list[0]!.engine_pid).toBeGreaterThan(0);
    first_session = list[0];
  });

  it('says clearly that chat needs a model when none is configured', async () => {
    const composer = page.getByPlaceholder('Describe what you want…');
    await composer.fill('make a red cube');
    await composer.press('Enter');
    const notice = page.getByRole('note').filter({ hasText: 'Chat needs a model' });
    await notice.waitFor();
    await shot('no-model');
    await expect(notice.textContent()).resolves.toMatch(/model|agent/i);
  });

  it('runs a tool through its generated form and the viewport changes', async () => {
    const before = await canvas_samples(page);
    const form = await open_tool('create_object');
    // Generated from the schema: a required text field, an enum as a select, a vector3 as x, y, z.
    await expect(form.getByRole('combobox').count()).resolves.toBe(1);
    await expect(form.getByRole('spinbutton').count()).resolves.toBe(3);
    await form.getByLabel(/^name/i).fill('cube1');
    await form.getByRole('button', { name: /^Run/ }).click();
    await form.locator('.tool-card.ok').waitFor();
    await expect.poll(async () => samples_changed(before, await canvas_samples(page)), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.locator('.viewport .overlay').waitFor();
    await shot('tool-ran');
    await expect(form.locator('.tool-card.ok').textContent()).resolves.toContain('cube1');
  });

  it('keeps the session across a page refresh', async () => {
    await page.reload();
    await wait_for_ready();
    await shot('after-refresh');
    const list = await sessions();
    expect(list).toHaveLength(1);
    expect(list[0]!.id).toBe(first_session!.id);
    expect(list[0]!.engine_pid).toBe(first_session!.engine_pid);
  });

  it('lists the change in the versions and restores the earlier scene', async () => {
    await page.getByRole('tab', { name: /versions/ }).click();
    const items = page.locator('.version-list > li');
    await items.first().waitFor();
    await expect(items.count()).resolves.toBe(2);
    await expect(items.nth(0).locator('.version-msg').textContent()).resolves.toContain('create_object');
    await expect(items.nth(1).locator('.version-msg').textContent()).resolves.toBe('Create project');
    await shot('versions');

    await items.nth(1).getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(3);
    await expect(items.nth(0).locator('.version-msg').textContent()).resolves.toMatch(/^Restore/);
    await wait_for_ready();
    await shot('restored');

    // The live engine has the restored scene: no cube1 any more.
    const form = await open_tool('list_objects');
    await form.getByRole('button', { name: /^Run/ }).click();
    const result = form.locator('.tool-card.ok').first();
    await result.waitFor();
    await expect(result.textContent()).resolves.not.toContain('cube1');
    await shot('restored-scene-listed');
  });

  it('deletes the project from the projects page', async () => {
    await page.getByRole('link', { name: 'atelier' }).click();
    const card = page.getByRole('article').filter({ hasText: 'E2E scene' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Delete' }).click();
    await shot('delete-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await shot('deleted');
    const { status } = await hub.api('GET', `/api/projects/${project_id}`);
    expect(status).toBe(404);
    expect(console_errors).toEqual([]);
  });
});
