// SPDX-License-Identifier: Apache-2.0
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samples_changed } from './browser';
import { FakeModel } from './fake_model';
import { Hub } from './hub';
import { StudioDriver } from './studio';

/// A chat turn end to end: the hub's agent talks to the fake model server (OpenAI-compatible
/// streaming), which asks for a tool; the page streams the text, shows the tool card, the viewport
/// changes and a version appears. Screenshots go to <artifacts>/chat/. The fake model server is
/// tests/support/fake_model_server.py, the agent tests' fixture.

let studio: StudioDriver;
let model: FakeModel;

describe('a chat turn with the fake model server', () => {
  beforeAll(async () => {
    expect(FakeModel.available(), 'tests/support/fake_model_server.py is missing').toBe(true);
    model = await FakeModel.start();
    studio = await StudioDriver.start(
      'chat',
      `[engines.test]\ncommand = [${JSON.stringify(Hub.test_engine())}]\n\n[model]\nprovider = "openai"\nmodel = "fake"\nbase_url = ${JSON.stringify(`${model.url}/v1`)}\n`,
    );
  });

  afterAll(async () => {
    const code = await studio?.stop();
    model?.stop();
    expect(code, studio?.hub.log()).toBe(0);
  });

  it('streams the answer, shows the tool call and its effect', async () => {
    await model.script([
      { text: 'Adding a cube for you.', tool_calls: [{ name: 'scene__create_object', arguments: { name: 'chatcube' } }] },
      { text: 'Done: the scene now has chatcube.' },
    ]);
    await studio.sign_in();
    await studio.create_project('Chatty', 'test');
    await studio.wait_for_ready();
    const before = await studio.canvas();
    const page = studio.page;
    const composer = page.getByPlaceholder('Describe what you want…');
    await composer.fill('add a cube called chatcube');
    await composer.press('Enter');

    const log = page.locator('.chat-log');
    await log.getByText('Done: the scene now has chatcube.').waitFor({ timeout: 60_000 });
    const card = log.locator('.tool-card').filter({ hasText: 'create_object' });
    await expect(card.getAttribute('class')).resolves.toContain('ok');
    await expect(card.textContent()).resolves.toContain('chatcube');
    await expect(log.textContent()).resolves.toContain('Adding a cube for you.');
    await expect.poll(async () => samples_changed(before, await studio.canvas()), { timeout: 30_000 }).toBeGreaterThan(0);
    await studio.shot('turn-done');

    // The turn is a version, with the prompt as its message.
    await page.getByRole('tab', { name: /versions/ }).click();
    await expect.poll(() => page.locator('.version-list > li').first().locator('.version-msg').textContent(), { timeout: 30_000 }).toContain('add a cube');
    await studio.shot('turn-version');
    expect(await model.requests()).toHaveLength(2);
    expect(studio.problems).toEqual([]);
  });

  it('shows the conversation again after a refresh', async () => {
    await studio.page.reload();
    await studio.wait_for_ready();
    const log = studio.page.locator('.chat-log');
    await log.getByText('add a cube called chatcube').waitFor();
    await log.getByText('Done: the scene now has chatcube.').waitFor();
    // The turn's tool call comes back from the stored transcript as a card.
    await expect(log.locator('.tool-card.ok').filter({ hasText: 'create_object' }).count()).resolves.toBe(1);
    await studio.shot('history-after-refresh');
  });

  it('shows a retry after the model answered 429, then the answer', async () => {
    await model.script([
      { status: 429, headers: { 'retry-after': '0' }, error: { type: 'rate_limit_error', message: 'slow down' } },
      { text: 'Answered after a retry.' },
    ]);
    const composer = studio.page.getByRole('region', { name: 'Chat' }).getByRole('textbox');
    await composer.fill('are you there?');
    await composer.press('Enter');
    const log = studio.page.locator('.chat-log');
    await log.getByText('Answered after a retry.').waitFor({ timeout: 60_000 });
    await expect(log.locator('.retry-line').last().textContent()).resolves.toMatch(/429|slow down|retry/i);
    await studio.shot('model-retried');
  });

  it('queues a message sent during a turn and cancels the turn with Esc', async () => {
    // The model writes a few characters, then stalls: the turn stays open until cancelled.
    await model.script([{ text: 'Thinking it over, slowly', stall_ms: 60_000 }, { text: 'Second answer.' }]);
    const page = studio.page;
    await page.getByRole('tab', { name: /tools/ }).click();
    // (its placeholder changes while a turn runs)
    const composer = page.getByRole('region', { name: 'Chat' }).getByRole('textbox');
    await composer.fill('take your time');
    await composer.press('Enter');
    const log = page.locator('.chat-log');
    await log.getByText('Thin', { exact: false }).last().waitFor();
    await composer.fill('and then this');
    await composer.press('Enter');
    await log.locator('.msg.user').filter({ hasText: 'and then this' }).getByText('queued').waitFor();
    await studio.shot('turn-running-one-queued');
    await expect(page.getByRole('region', { name: 'Chat' }).getByRole('button', { name: 'Cancel', exact: true }).isEnabled()).resolves.toBe(true);
    await composer.press('Escape');
    await log.locator('.turn-end').filter({ hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
    // The cancel dropped the queued message too: it says so, and it never became a turn.
    await log.locator('.msg.user').filter({ hasText: 'and then this' }).getByText('cancelled before it ran').waitFor();
    await studio.shot('turn-cancelled');
    // (The waitFor above is strict: a second "cancelled" line, as before turn ids, would fail it.)
    expect(studio.problems).toEqual([]);
  });
});
