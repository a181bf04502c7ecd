// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// Password sign-in where the hub has accounts (`atelier user add --password-stdin`): the sign-in
/// page offers user name and password beside the token, a wrong password is refused without
/// saying which part was wrong, the right one opens the user's own (empty) projects, and signing
/// out revokes the cookie's token. Screenshots: <artifacts>/sign-in/.

let studio: StudioDriver;
let alice_cookie = '';

/// Drops the 401s that are expected answers here (the app's sign-in check, a wrong password) and
/// chromium's console line for each; whatever else the page ran into stays.
function unexpected_problems(): string[] {
  return studio.problems.filter(
    (problem) =>
      !/^401 (GET .*\/api\/projects|POST .*\/api\/login)$/.test(problem) &&
      problem !== 'console: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
  );
}

function add_user(data_dir: string, name: string, password: string): void {
  const result = spawnSync(Hub.binary(), ['user', 'add', name, '--password-stdin', '--data-dir', data_dir], { input: `${password}\n`, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
}

describe('password sign-in', () => {
  beforeAll(async () => {
    studio = await StudioDriver.start('sign-in', `[engines.test]\ncommand = [${JSON.stringify(Hub.test_engine())}]\n`);
    add_user(studio.hub.data_dir, 'alice', 'correct horse battery');
  });

  afterAll(async () => {
    const code = await studio?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('says that a sign-in link’s token is not valid, on the sign-in page', async () => {
    const page = studio.page;
    // The hub sends a browser whose /?token= it refused to /?signin=invalid_token (docs/api.md "Sign-in").
    await page.goto(`${studio.hub.url}/?token=not-a-token`);
    await page.getByRole('alert').filter({ hasText: 'That link’s token is not valid for this hub.' }).waitFor();
    await expect(page.getByLabel('Access token').count()).resolves.toBe(1);
    // Taken off the address: a reload does not say it again.
    expect(new URL(page.url()).search).toBe('');
    await studio.shot('link-token-invalid');
    expect(unexpected_problems()).toEqual([]);
  });

  it('offers user name and password beside the token, and refuses a wrong password', async () => {
    const page = studio.page;
    await page.goto(studio.hub.url);
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill('wrong horse');
    await expect(page.getByLabel('Access token').count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong user name or password.' }).waitFor();
    await studio.shot('wrong-password');
    expect(studio.problems).toContainEqual(expect.stringMatching(/^401 POST .*\/api\/login$/));
    expect(unexpected_problems()).toEqual([]);
  });

  it('signs in with the right password and shows the user’s own projects', async () => {
    const page = studio.page;
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    await studio.shot('signed-in');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'atelier_token');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    expect(cookie?.value).not.toBe(studio.hub.token);
    alice_cookie = cookie!.value;

    const project_id = await studio.create_project('Alice’s scene', 'test');
    await studio.wait_for_ready();
    const mine = await fetch(`${studio.hub.url}/api/projects/${project_id}`, { headers: { Authorization: `Bearer ${alice_cookie}` } });
    expect(mine.status).toBe(200);
    const { status } = await studio.hub.api('GET', `/api/projects/${project_id}`);
    expect(status, 'the project is alice’s, not the admin’s').toBe(404);
    await studio.shot('alice-studio');
  });

  it('signs out: the sign-in page again, and the old cookie no longer works', async () => {
    const page = studio.page;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('User name').waitFor();
    await studio.shot('signed-out');
    const after = await fetch(`${studio.hub.url}/api/projects`, { headers: { Authorization: `Bearer ${alice_cookie}` } });
    expect(after.status).toBe(401);
    expect((await page.context().cookies()).find((c) => c.name === 'atelier_token')).toBeUndefined();
    expect(unexpected_problems()).toEqual([]);
  });
});
