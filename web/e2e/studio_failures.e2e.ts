// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// What the studio says when things break, against the real hub: an engine that crashes is
/// restarted (the banner counts the attempt), an engine that cannot start ends "lost" with a
/// retry button, and a hub that goes away and comes back is found again by the page's backoff.
/// Screenshots go to <artifacts>/failures/.

// One relaunch only, so "lost" comes quickly; `broken` is an engine kind whose program exits at once.
const config = (test_engine: string) => `[engines.test]
command = [${JSON.stringify(test_engine)}]

[engines.broken]
command = ["/bin/sh", "-c", "echo 'broken engine: no licence for this machine' >&2; exit 3"]

[restart]
max_attempts = 1
`;

let studio: StudioDriver;
let data_dir = '';

describe('the studio when things break', () => {
  beforeAll(async () => {
    data_dir = mkdtempSync(join(tmpdir(), 'atelier-e2e-'));
    studio = await StudioDriver.start('failures', config(Hub.test_engine()), data_dir);
    await studio.sign_in();
  });

  afterAll(async () => {
    const code = await studio?.stop();
    rmSync(data_dir, { recursive: true, force: true });
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('restarts a crashed engine and says which attempt it is', async () => {
    await studio.create_project('Crashes', 'test');
    await studio.wait_for_ready();
    const pid = (await studio.sessions())[0]!.engine_pid;
    await studio.record_banners();
    const form = await studio.open_tool('basics__crash');
    await form.getByRole('button', { name: /^Run/ }).click();
    // The call fails with the engine, never hangs.
    await form.locator('.tool-card.error').waitFor();
    await expect.poll(() => studio.banners(), { timeout: 60_000 }).toContainEqual(expect.stringContaining('restarting (attempt 1 of 1)'));
    await studio.wait_for_ready();
    await studio.shot('crash-recovered');
    await expect(form.locator('.tool-card.error').textContent()).resolves.toMatch(/engine/i);
    const after = await studio.sessions();
    expect(after).toHaveLength(1);
    expect(after[0]!.engine_pid).not.toBe(pid);
  });

  it('shows an engine that cannot start as lost, with its log and a retry button', async () => {
    await studio.page.getByRole('link', { name: 'atelier' }).click();
    await studio.create_project('Never starts', 'broken');
    await studio.record_banners();
    const banner = studio.page.locator('.banner.error');
    await banner.waitFor();
    await studio.shot('engine-lost');
    await expect(banner.textContent()).resolves.toContain('The engine could not be restarted');
    await expect(banner.textContent()).resolves.toContain('no licence for this machine');
    await banner.getByRole('button', { name: 'Retry' }).click();
    // A new session starts, and fails the same way.
    await expect.poll(() => studio.banners(), { timeout: 60_000 }).toContainEqual(expect.stringContaining('Starting the engine'));
    await banner.waitFor();
    await expect.poll(async () => (await studio.sessions()).filter((s) => s.state === 'lost').length, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  });

  it('reconnects to a hub that went away and came back', async () => {
    await studio.page.getByRole('link', { name: 'atelier' }).click();
    await studio.page.getByRole('article').filter({ hasText: 'Crashes' }).getByRole('button', { name: 'Open', exact: true }).click();
    await studio.wait_for_ready();
    const port = studio.hub.port;
    await studio.record_banners();
    await studio.hub.stop();
    await studio.page.locator('.banner.warn').waitFor();
    await studio.shot('hub-gone');
    studio.hub = await Hub.start({ config: config(Hub.test_engine()), log_file: join(studio.artifacts, 'hub.log'), data_dir, port });
    // The page's own backoff (capped at 10 s) finds the hub again; clicking "Reconnect now" would
    // race it. The old session died with the hub: the page starts a new one for the same project.
    await studio.wait_for_ready();
    const lost = (await studio.banners()).find((text) => text.includes('Connection to the hub lost'));
    expect(lost).toMatch(/reconnecting.*attempt \d+.*Reconnect now/);
    await studio.shot('hub-back');
    const list = await studio.sessions();
    expect(list).toHaveLength(1);
    expect(list[0]!.state).toBe('ready');
  });
});
