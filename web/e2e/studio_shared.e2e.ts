// SPDX-License-Identifier: Apache-2.0
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { samples_changed } from './browser';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// One live session per project (issue 15): two tabs on one project share its session and engine,
/// each sees the other's changes in its viewport, and the top bar says who is there. Screenshots go
/// to <artifacts>/shared/.

let studio: StudioDriver;
let first: Page;
let second: Page;
let project_id = '';

describe('two tabs on one project', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('shared', `[engines.test]\ncommand = [${JSON.stringify(Hub.test_engine())}]\n`);
  });

  afterAll(async () => {
    await second?.close();
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('joins the second tab to the first tab’s session and engine, and says so in both', async () => {
    await studio.sign_in();
    project_id = await studio.create_project('Shared scene', 'test');
    await studio.wait_for_ready();
    first = studio.page;
    const [alone] = await studio.sessions();

    second = await first.context().newPage();
    await second.setViewportSize({ width: 1366, height: 768 });
    await second.goto(`${studio.hub.url}/p/${encodeURIComponent(project_id)}`);
    studio.page = second;
    await studio.wait_for_ready();

    const sessions = await studio.sessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.id).toBe(alone!.id);
    expect(sessions[0]!.engine_pid).toBe(alone!.engine_pid);
    for (const page of [first, second]) {
      await expect
        .poll(async () => (await page.getByLabel('In this session').textContent({ timeout: 1000 }).catch(() => '')) ?? '')
        .toContain('2 tabs');
    }
    await studio.shot('second-tab-joined');
  });

  it('shows each tab’s change in the other tab’s viewport, and both land in the newest version', async () => {
    for (const [page, other, name] of [
      [second, first, 'monkey'],
      [first, second, 'cone'],
    ] as const) {
      studio.page = other;
      const before = await studio.canvas();
      studio.page = page;
      const form = await studio.open_tool('scene__create_object');
      await form.getByLabel(/^name/i).fill(name);
      await expect(studio.run(form)).resolves.toContain(name);
      studio.page = other;
      await expect.poll(async () => samples_changed(before, await studio.canvas()), { timeout: 30_000 }).toBeGreaterThan(0);
    }
    studio.page = first;
    await studio.shot('both-objects');
    // The first tab's command (command:activity) is among the second tab's commands, with who ran it.
    await second.getByRole('tab', { name: /tools/ }).click();
    await expect.poll(async () => (await second.locator('.tool-by').allTextContents()).join('|'), { timeout: 30_000 }).toMatch(/^by /);
    const { status, body } = await studio.hub.api<unknown>('GET', `/api/projects/${project_id}/files/scene.json`);
    expect(status).toBe(200);
    const text = JSON.stringify(body);
    expect(text).toContain('monkey');
    expect(text).toContain('cone');
  });
});
