// SPDX-License-Identifier: Apache-2.0
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// The app at two laptop sizes (1280×720 and 1024×700): every page fits the window without
/// sideways scrolling, the studio's three panels sit side by side and the composer and the tabs
/// are on screen. Screenshots of each page at each size: <artifacts>/layout/ — look at them.

const SIZES = [
  { width: 1280, height: 720 },
  { width: 1024, height: 700 },
];

let studio: StudioDriver;

async function fits(label: string): Promise<void> {
  const overflow = await studio.page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    window: window.innerWidth,
  }));
  expect(overflow.scroll, `${label}: the page scrolls sideways`).toBeLessThanOrEqual(overflow.window);
}

async function on_screen(selector: string, label: string): Promise<void> {
  const box = await studio.page.locator(selector).first().boundingBox();
  const size = studio.page.viewportSize()!;
  expect(box, `${label}: ${selector} is not shown`).not.toBeNull();
  expect(box!.x, `${label}: ${selector} starts left of the window`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${label}: ${selector} ends right of the window`).toBeLessThanOrEqual(size.width + 0.5);
  expect(box!.y + box!.height, `${label}: ${selector} ends below the window`).toBeLessThanOrEqual(size.height + 0.5);
}

describe('the layout at laptop sizes', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('layout', `[engines.test]\ncommand = [${JSON.stringify(Hub.test_engine())}]\n`);
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('fits the sign-in page, the projects page and the studio', async () => {
    const page = studio.page;
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const name = `${size.width}x${size.height}`;
      await page.context().clearCookies();
      await page.goto(studio.hub.url);
      await page.getByLabel('Access token').waitFor();
      await fits(`sign-in ${name}`);
      await studio.shot(`sign-in-${name}`);
    }
    studio.problems.splice(0); // the sign-in check's 401s while signed out

    await studio.sign_in();
    await studio.create_project('Layout scene', 'test');
    await studio.wait_for_ready();
    const form = await studio.open_tool('scene__create_object');
    await form.getByLabel(/^name/i).fill('cube1');
    await studio.run(form);

    for (const size of SIZES) {
      const name = `${size.width}x${size.height}`;
      await page.setViewportSize(size);
      await fits(`studio ${name}`);
      const panels = await page.locator('main.studio > section').evaluateAll((sections) =>
        sections.map((s) => s.getBoundingClientRect()).map((r) => ({ x: r.x, y: r.y, width: r.width })),
      );
      expect(panels, `studio ${name}: three panels`).toHaveLength(3);
      // Side by side: same top, left to right, none narrower than 240 px.
      expect(new Set(panels.map((p) => Math.round(p.y))).size, `studio ${name}: panels stacked`).toBe(1);
      for (const panel of panels) expect(panel.width, `studio ${name}: a panel is squeezed`).toBeGreaterThanOrEqual(240);
      await on_screen('.composer textarea', `studio ${name}`);
      await on_screen('[role=tablist]', `studio ${name}`);
      await on_screen('.viewport canvas', `studio ${name}`);
      await studio.shot(`studio-tools-${name}`);
      await page.getByRole('tab', { name: /versions/ }).click();
      await page.locator('.version').first().waitFor();
      await fits(`versions ${name}`);
      await studio.shot(`studio-versions-${name}`);
      await page.getByRole('tab', { name: /renders/ }).click();
      await studio.shot(`studio-renders-${name}`);
      await page.getByRole('tab', { name: /tools/ }).click();
    }

    await page.getByRole('link', { name: 'atelier' }).click();
    await page.getByRole('article').first().waitFor();
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await fits(`projects ${size.width}x${size.height}`);
      await page.getByRole('button', { name: '+ New project' }).click();
      await page.getByRole('form', { name: 'New project' }).waitFor();
      await fits(`new project ${size.width}x${size.height}`);
      await studio.shot(`projects-${size.width}x${size.height}`);
      await page.getByRole('button', { name: 'Cancel' }).click();
    }
    expect(studio.problems).toEqual([]);
  });
});
