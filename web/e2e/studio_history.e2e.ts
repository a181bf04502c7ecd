// SPDX-License-Identifier: Apache-2.0
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// What the studio shows of a project's past comes from the hub, not from the tab (issue 19): the
/// Versions list shows the hub's picture of the viewport at each version (GET …/versions/{rev}/
/// thumbnail), the project card the newest one, and "Recent commands" come back after a reload
/// from the session's activity in `session:ready` — with the tab's storage wiped, so nothing this
/// browser kept can stand in. The C++ test engine, whose frames are small PNGs. Screenshots:
/// <artifacts>/history/.

let studio: StudioDriver;
let project_id = '';

/// The picture in a version row or a card: its address and whether it loaded.
async function picture(locator: ReturnType<StudioDriver['page']['locator']>): Promise<{ src: string; width: number }> {
  return locator.evaluate((img) => ({ src: (img as HTMLImageElement).getAttribute('src') ?? '', width: (img as HTMLImageElement).naturalWidth }));
}

describe('the studio’s history from the hub', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('history', `[engines.test]\ncommand = [${JSON.stringify(Hub.test_engine())}]\n`);
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('shows the hub’s picture of the viewport beside each version made in the session', async () => {
    await studio.sign_in();
    project_id = await studio.create_project('History', 'test');
    await studio.wait_for_ready();
    const form = await studio.open_tool('scene__create_object');
    await form.getByLabel(/^name/i).fill('cube1');
    await expect(studio.run(form)).resolves.toContain('cube1');
    const echo = await studio.open_tool('basics__echo');
    await echo.getByLabel(/^text/i).fill('hello from before the reload');
    await expect(studio.run(echo)).resolves.toContain('hello from before the reload');
    await studio.page.getByRole('button', { name: /^echo/ }).first().click(); // closes the form: its run is a recent command

    const page = studio.page;
    await page.getByRole('tab', { name: /versions/ }).click();
    const items = page.locator('.version-list > li');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(2);
    const { body } = await studio.hub.api<{ items: { rev: string }[] }>('GET', `/api/projects/${project_id}/versions`);
    const newest = body.items[0]!.rev;
    const image = items.nth(0).locator('.version-still img');
    await expect.poll(() => picture(image), { timeout: 30_000 }).toEqual({ src: `/api/projects/${project_id}/versions/${newest}/thumbnail`, width: expect.any(Number) });
    await expect.poll(async () => (await picture(image)).width, { timeout: 30_000 }).toBeGreaterThan(0);
    // "Create project" was made without a viewport: the hub has no picture, and the row shows none.
    await expect.poll(() => items.nth(1).locator('.version-still').count(), { timeout: 30_000 }).toBe(0);
    await studio.shot('versions-with-pictures');
  });

  it('brings the recent commands back after a reload from the session, not from the tab', async () => {
    const page = studio.page;
    await page.getByRole('tab', { name: /tools/ }).click();
    const recent = page.locator('.recent');
    await expect(recent.textContent()).resolves.toContain('hello from before the reload');
    // Nothing this tab kept survives: the list can only come from the hub.
    await page.evaluate(() => {
      window.sessionStorage.clear();
      window.localStorage.clear();
    });
    await page.reload();
    await studio.wait_for_ready();
    await page.getByRole('tab', { name: /tools/ }).click();
    await expect.poll(() => recent.textContent(), { timeout: 30_000 }).toContain('hello from before the reload');
    await expect(recent.textContent()).resolves.toContain('create_object');
    await expect(recent.locator('.tool-card.ok').count()).resolves.toBe(2);
    await studio.shot('recent-commands-after-reload');
  });

  it('shows the newest picture on the project’s card', async () => {
    const page = studio.page;
    await page.getByRole('link', { name: 'atelier' }).click();
    const image = page.getByRole('article').filter({ hasText: 'History' }).locator('.thumb img');
    await expect.poll(async () => (await picture(image)).src, { timeout: 30_000 }).toMatch(new RegExp(`^/api/projects/${project_id}/versions/[0-9a-f]{40}/thumbnail$`));
    await expect.poll(async () => (await picture(image)).width, { timeout: 30_000 }).toBeGreaterThan(0);
    await studio.shot('project-card-picture');
    expect(studio.problems).toEqual([]);
  });
});
