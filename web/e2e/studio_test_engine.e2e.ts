// SPDX-License-Identifier: Apache-2.0
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samples_changed } from './browser';
import { Hub } from './hub';
import { StudioDriver, type SessionInfo } from './studio';

/// The whole studio against the real hub and the C++ test engine (tests/engine): sign in with the
/// token link, create a project, run a tool through its generated form, watch the viewport change,
/// refresh into the same session, restore a version, delete the project. One screenshot per step
/// goes to <artifacts>/test-engine/ — look at them.

let studio: StudioDriver;
let project_id = '';
let first_session: SessionInfo | undefined;

describe('the studio with the C++ test engine', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('test-engine', `[engines.test]\ncommand = [${JSON.stringify(Hub.test_engine())}]\n`);
  });

  afterAll(async () => {
    const code = await studio?.stop();
    // A clean exit: sessions saved, nothing leaked (ASan) — checked last so screenshots exist.
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('asks for a token without one, and says when it is wrong', async () => {
    const page = studio.page;
    await page.goto(studio.hub.url);
    const token = page.getByLabel('Access token');
    await token.fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await studio.shot('sign-in-wrong-token');
    // The page's own check of the token answered 401: expected, not a problem of the app.
    studio.problems.splice(0);
  });

  it('signs in with the token link and shows the empty projects page', async () => {
    await studio.sign_in();
    await studio.page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await studio.shot('signed-in');
    const cookies = await studio.page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'atelier_token')?.httpOnly).toBe(true);
  });

  it('creates a project of the test kind and opens its studio', async () => {
    await studio.record_banners(); // the studio opens in this document (client-side navigation)
    project_id = await studio.create_project('E2E scene', 'test');
    // The form offers the hub's configured engine kinds, and only those.
    expect(studio.kinds_offered).toEqual(['test']);
    await studio.wait_for_ready();
    await studio.shot('studio-ready');
    expect(await studio.banners()).toContainEqual(expect.stringContaining('Starting the engine'));
    const list = await studio.sessions();
    expect(list).toHaveLength(1);
    expect(list[0]!.project_id).toBe(project_id);
    expect(list[0]!.engine_pid).toBeGreaterThan(0);
    first_session = list[0];
  });

  it('says clearly that chat needs a model when none is configured', async () => {
    // Up front, from GET /api/health, before anything was sent.
    const up_front = studio.page.getByRole('note').filter({ hasText: 'Chat needs a model' });
    await up_front.waitFor();
    await expect(up_front.textContent()).resolves.toContain('ATELIER_MODEL_PROVIDER');
    const composer = studio.page.getByPlaceholder('Describe what you want…');
    await composer.fill('make a red cube');
    await composer.press('Enter');
    const notice = studio.page.getByRole('note').filter({ hasText: 'Chat needs a model' });
    await notice.waitFor();
    await studio.shot('no-model');
    await expect(notice.textContent()).resolves.toMatch(/model|agent/i);
  });

  it('runs a tool through its generated form and the viewport changes', async () => {
    const before = await studio.canvas();
    const form = await studio.open_tool('scene__create_object');
    // Generated from the schema: a required text field, an enum as a select, a vector3 as x, y, z,
    // and an integer (the test engine's delay_ms).
    await expect(form.getByRole('combobox').count()).resolves.toBe(1);
    await expect(form.getByRole('spinbutton').count()).resolves.toBe(4);
    await form.getByLabel(/^name/i).fill('cube1');
    await expect(studio.run(form)).resolves.toContain('cube1');
    await expect.poll(async () => samples_changed(before, await studio.canvas()), { timeout: 30_000 }).toBeGreaterThan(0);
    await studio.page.locator('.viewport .overlay').waitFor();
    await studio.shot('tool-ran');
    // Smaller screens, for the eye: a small laptop and a tablet-sized window.
    for (const [width, height] of [[1280, 720], [1024, 700]] as const) {
      await studio.page.setViewportSize({ width, height });
      await studio.shot(`tool-ran-${width}x${height}`);
    }
    await studio.page.setViewportSize({ width: 1366, height: 768 });
  });

  it('runs a tool with the keyboard alone', async () => {
    const page = studio.page;
    await page.getByRole('tab', { name: /tools/ }).click();
    const search = page.getByRole('searchbox', { name: 'Search tools' });
    await search.focus();
    await page.keyboard.type('echo');
    await page.keyboard.press('Tab'); // the group's summary
    await page.keyboard.press('Tab'); // the tool
    await expect(page.evaluate(() => document.activeElement?.textContent ?? '')).resolves.toMatch(/^echo/);
    await page.keyboard.press('Enter');
    const form = page.getByRole('form', { name: 'Run basics__echo' });
    await form.waitFor();
    await page.keyboard.press('Tab'); // the form's first field
    await page.keyboard.type('typed, not clicked');
    // `text` is a multi-line box (issue 19): Enter is a newline there, Ctrl+Enter runs the form.
    await page.keyboard.press('Control+Enter');
    await expect(form.locator('.tool-card:not(.running)').textContent()).resolves.toContain('typed, not clicked');
    await studio.shot('keyboard-echo');
    await search.fill('');
  });

  it('keeps the session across a page refresh', async () => {
    await studio.page.reload();
    await studio.wait_for_ready();
    await studio.shot('after-refresh');
    const list = await studio.sessions();
    expect(list).toHaveLength(1);
    expect(list[0]!.id).toBe(first_session!.id);
    expect(list[0]!.engine_pid).toBe(first_session!.engine_pid);
  });

  it('lists the change in the versions and restores the earlier scene', async () => {
    const page = studio.page;
    await page.getByRole('tab', { name: /versions/ }).click();
    const items = page.locator('.version-list > li');
    await items.first().waitFor();
    await expect(items.count()).resolves.toBe(2);
    await expect(items.nth(0).locator('.version-msg').textContent()).resolves.toContain('create_object');
    await expect(items.nth(1).locator('.version-msg').textContent()).resolves.toBe('Create project');
    await studio.shot('versions');
    const [before] = await studio.sessions();

    await items.nth(1).getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(3);
    await expect(items.nth(0).locator('.version-msg').textContent()).resolves.toMatch(/^Restore/);
    await studio.wait_for_ready();
    await studio.shot('restored');

    // The live engine has the restored scene: no cube1 any more. It is the same session and
    // engine process: the hub reopened the version in place.
    const form = await studio.open_tool('scene__list_objects');
    await expect(studio.run(form)).resolves.not.toContain('cube1');
    const [after] = await studio.sessions();
    expect([after?.id, after?.engine_pid]).toEqual([before?.id, before?.engine_pid]);
    await studio.shot('restored-scene-listed');
  });

  it('renames the project on the projects page', async () => {
    const page = studio.page;
    await page.getByRole('link', { name: 'atelier' }).click();
    const card = page.getByRole('article').filter({ hasText: 'E2E scene' });
    await card.getByRole('button', { name: 'Rename' }).click();
    // In edit mode the name is the input's value (the one card being edited), no longer its text.
    const form = page.locator('.rename-form');
    await form.getByRole('textbox', { name: 'Project name' }).fill('E2E scene, renamed');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('article').filter({ hasText: 'E2E scene, renamed' }).locator('.project-name').waitFor();
    const { body } = await studio.hub.api<{ name: string }>('GET', `/api/projects/${project_id}`);
    expect(body.name).toBe('E2E scene, renamed');
  });

  it("signs another user in with their own token, who does not see this user's projects", async () => {
    const { status, body } = await studio.hub.api<{ token: string }>('POST', '/api/tokens', { user: 'alice', label: 'e2e' });
    expect(status).toBe(201);
    const context = await studio.page.context().browser()!.newContext({ viewport: { width: 1366, height: 768 } });
    try {
      const page = await context.newPage();
      await page.goto(studio.hub.url);
      await page.getByLabel('Access token').fill(body.token);
      await page.getByRole('button', { name: 'Sign in with the token' }).click();
      await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
      await page.screenshot({ path: join(studio.artifacts, 'other-user-signed-in.png') });
    } finally {
      await context.close();
    }
  });

  it('deletes the project from the projects page', async () => {
    const page = studio.page;
    const card = page.getByRole('article').filter({ hasText: 'E2E scene, renamed' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Delete' }).click();
    await studio.shot('delete-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete project' }).click();
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await studio.shot('deleted');
    const { status } = await studio.hub.api('GET', `/api/projects/${project_id}`);
    expect(status).toBe(404);
    expect(studio.problems).toEqual([]);
  });
});
