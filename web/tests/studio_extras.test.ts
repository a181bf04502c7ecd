// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { auto_fix_action_for, chat_actions_for } from '../src/chat/chat_events';
import { chat_reducer, initial_chat_state, type ChatAction, type ChatState } from '../src/chat/chat_state';
import { no_model_message } from '../src/components/chat_panel';
import { kind_options } from '../src/components/create_project_form';
import { format_size, job_link } from '../src/components/renders_panel';
import { sign_in_error } from '../src/components/sign_in_page';
import { ApiError } from '../src/api/http';
import type { Envelope } from '../src/protocol/messages';
import { initial_session_view, normalize_preview, session_reducer, type SessionView } from '../src/studio/session_state';

function chat_run(actions: ChatAction[], state: ChatState = initial_chat_state): ChatState {
  return actions.reduce(chat_reducer, state);
}

function feed_into(start: ChatState, messages: Envelope[]): ChatState {
  return messages.flatMap((message) => chat_actions_for(message, 0, () => false)).reduce(chat_reducer, start);
}

function feed(messages: Envelope[]): ChatState {
  return feed_into(initial_chat_state, messages);
}

describe('automatic fix turns', () => {
  it('are labelled once, before the agent text, and the label ends with the turn', () => {
    const state = feed([
      { type: 'agent:message', payload: { delta: 'The preview broke; ', auto_fix: true } },
      { type: 'agent:message', payload: { delta: 'fixing it.', auto_fix: true } },
      { type: 'agent:complete', payload: {} },
    ]);
    expect(state.entries.map((e) => e.kind)).toEqual(['auto_fix', 'assistant', 'turn_end']);
    expect(state.entries[1]).toMatchObject({ text: 'The preview broke; fixing it.' });
    expect(state.turn).toBe('idle');
    expect(state.auto_fix).toBeUndefined();

    const second = feed([
      { type: 'agent:turn', payload: { auto_fix: true } },
      { type: 'agent:message', payload: { delta: 'again' } },
      { type: 'agent:complete', payload: {} },
      { type: 'agent:turn', payload: { auto_fix: true } },
    ]);
    expect(second.entries.map((e) => e.kind)).toEqual(['auto_fix', 'assistant', 'turn_end', 'auto_fix']);
    expect(second.turn).toBe('running');
  });

  it('a turn without the flag gets no label', () => {
    expect(auto_fix_action_for({ type: 'agent:message', payload: { delta: 'x' } })).toBeNull();
    expect(auto_fix_action_for({ type: 'agent:complete', payload: { auto_fix: true } })).toBeNull();
    expect(auto_fix_action_for({ type: 'command:result', payload: { auto_fix: true } })).toBeNull();
  });
});

describe('preview errors in the chat', () => {
  it('show as an error notice naming the composition', () => {
    const state = chat_run([{ type: 'preview_error', error: { message: 'x is not defined', composition: 'Intro' } }]);
    expect(state.entries).toEqual([
      { kind: 'notice', id: 'p1', tone: 'error', code: 'preview_error', text: 'The preview failed (Intro): x is not defined', error_message: 'x is not defined' },
    ]);
    expect(state.turn).toBe('idle');
  });
});

describe('no_model_message', () => {
  it("shows the health's explanation before any message, and the hub's answer after one", () => {
    expect(no_model_message(initial_chat_state, { configured: false, reason: 'no model provider is set', message: 'no model is configured: set [model]' })).toBe(
      'no model is configured: set [model]',
    );
    expect(no_model_message(initial_chat_state, { configured: false, reason: 'no key' })).toBe('No model is configured: no key.');
    expect(no_model_message(initial_chat_state, { configured: true, provider: 'openai', model: 'local' })).toBeUndefined();
    expect(no_model_message(initial_chat_state, undefined)).toBeUndefined();
    const refused = chat_run([{ type: 'error', error: { code: 'unavailable', message: 'no model is configured: from the hub' } }]);
    expect(no_model_message(refused, { configured: true })).toBe('no model is configured: from the hub');
  });
});

describe('kind_options', () => {
  it("offers exactly the hub's kinds, built-in ones first", () => {
    expect(kind_options(['test', 'remotion', 'blender']).map((o) => o.kind)).toEqual(['blender', 'remotion', 'test']);
    expect(kind_options(['blender']).map((o) => o.label)).toEqual(['Blender']);
    expect(kind_options([])).toEqual([]);
  });
  it('offers the built-in kinds when the hub does not say', () => {
    expect(kind_options(null).map((o) => o.kind)).toEqual(['blender', 'remotion']);
  });
});

describe('sign_in_error', () => {
  it('never says which of user name and password was wrong', () => {
    expect(sign_in_error(new ApiError(401, 'unauthorized', 'wrong user name or password'))).toBe('Wrong user name or password.');
    expect(sign_in_error(new ApiError(429, 'rate_limited', 'too many failed sign-ins; try again in 60 s'))).toBe(
      'Too many failed sign-ins; try again in 60 s.',
    );
  });
});

describe('renders', () => {
  it('links a job output under renders/ to the renders route', () => {
    const job = { job_id: 'j', label: 'intro.mp4', progress: 1, state: 'done', output: 'renders/intro 1.mp4' };
    expect(job_link('p/1', job)).toBe('/api/projects/p%2F1/renders/intro%201.mp4');
    expect(job_link('p', { ...job, url: '/x' })).toBe('/x');
    expect(job_link('p', { ...job, output: 'scene.glb' })).toBeUndefined();
  });
  it('formats sizes', () => {
    expect(format_size(512)).toBe('512 B');
    expect(format_size(1536)).toBe('1.5 KB');
    expect(format_size(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(format_size(undefined)).toBe('');
  });
  it('bump the renders tick when a job finishes, from progress or from a tool result', () => {
    const msg = (type: string, payload: unknown, re?: string): Envelope => ({ type, payload, ...(re ? { re } : {}) });
    let view: SessionView = initial_session_view;
    view = session_reducer(view, { type: 'message', now: 0, message: msg('render:progress', { call_id: 'c1', done: 1, total: 4 }) });
    expect(view.renders_tick).toBe(0);
    view = session_reducer(view, { type: 'message', now: 0, message: msg('render:progress', { call_id: 'c1', done: 4, total: 4 }) });
    expect(view.renders_tick).toBe(1);
    view = session_reducer(view, { type: 'message', now: 0, message: msg('render:progress', { call_id: 'c1', done: 4, total: 4 }) });
    expect(view.renders_tick).toBe(1);
    // The engine's call id is not our request id: the result names the output and finds the job.
    view = session_reducer(view, { type: 'command_sent', id: 'r1', tool: 'render__render_video', now: 0 });
    view = session_reducer(view, { type: 'message', now: 0, message: msg('render:progress', { call_id: 'c2', done: 2, total: 8 }) });
    view = session_reducer(view, { type: 'message', now: 5, message: msg('command:result', { ok: true, data: { path: 'renders/intro.mp4' } }, 'r1') });
    expect(view.renders_tick).toBe(2);
    expect(view.renders.find((j) => j.job_id === 'c2')).toMatchObject({ state: 'done', output: 'renders/intro.mp4', progress: 1 });
  });
});

describe('preview in the session', () => {
  it('accepts a path or an object, and preview:ready reloads it', () => {
    expect(normalize_preview('/preview/s1/')).toEqual({ url: '/preview/s1/' });
    expect(normalize_preview({ url: '/preview/s1/' })).toEqual({ url: '/preview/s1/' });
    expect(normalize_preview(null)).toBeNull();
    expect(normalize_preview('')).toBeNull();
    let view = session_reducer(initial_session_view, {
      type: 'message',
      now: 0,
      message: { type: 'session:ready', payload: { session_id: 's1', preview: '/preview/s1/' } },
    });
    expect(view.preview).toEqual({ url: '/preview/s1/' });
    view = session_reducer(view, { type: 'message', now: 0, message: { type: 'preview:ready', payload: { url: '/preview/s1/' } } });
    expect(view.preview_tick).toBe(1);
    view = session_reducer(view, { type: 'message', now: 0, message: { type: 'preview:ready', payload: {} } });
    expect(view.preview_tick).toBe(1);
  });
});

describe('scene summary', () => {
  it('is dropped when another session becomes ready (a restore), kept when the same one re-attaches', () => {
    const ready = (session_id: string): Envelope => ({ type: 'session:ready', payload: { session_id } });
    let view = session_reducer(initial_session_view, { type: 'message', now: 0, message: ready('s1') });
    view = session_reducer(view, { type: 'message', now: 0, message: { type: 'scene:updated', payload: { summary: { objects: ['Cube', 'Suzanne'] } } } });
    const summary = view.scene_summary;
    expect(summary).toBeDefined();
    expect(session_reducer(view, { type: 'message', now: 0, message: ready('s1') }).scene_summary).toBe(summary);
    expect(session_reducer(view, { type: 'message', now: 0, message: ready('s2') }).scene_summary).toBeUndefined();
  });

  it('is dropped as soon as another session starts, and set from the scene session:ready carries', () => {
    let view = session_reducer(initial_session_view, { type: 'message', now: 0, message: { type: 'session:ready', payload: { session_id: 's1' } } });
    view = session_reducer(view, { type: 'message', now: 0, message: { type: 'scene:updated', payload: { summary: { objects: ['Cube', 'Suzanne'] } } } });
    view = session_reducer(view, { type: 'message', now: 0, message: { type: 'session:status', payload: { state: 'starting', session_id: 's2' } } });
    expect(view.scene_summary).toBeUndefined();
    view = session_reducer(view, { type: 'message', now: 0, message: { type: 'session:ready', payload: { session_id: 's2', scene: { objects: ['Cube'] } } } });
    expect(view.scene_summary).toBe('1 object: Cube');
  });
});

describe('turns announced by the hub (agent:turn)', () => {
  it('shows the prompt of a turn another tab sent, not of one this tab sent', () => {
    let state = chat_run([
      { type: 'user_sent', id: 'm1', text: 'mine' },
      { type: 'turn_assigned', id: 'm1', turn_id: 't1' },
    ]);
    state = feed_into(state, [
      { type: 'agent:turn', payload: { turn_id: 't1', text: 'mine' } },
      { type: 'agent:message', payload: { turn_id: 't1', delta: 'ok' } },
      { type: 'agent:complete', payload: { turn_id: 't1' } },
      { type: 'agent:turn', payload: { turn_id: 't2', text: 'from the other tab' } },
      { type: 'agent:message', payload: { turn_id: 't2', delta: 'sure' } },
      { type: 'agent:complete', payload: { turn_id: 't2' } },
    ]);
    expect(state.entries.filter((e) => e.kind === 'user').map((e) => (e as { text: string }).text)).toEqual(['mine', 'from the other tab']);
    expect(state.entries.find((e) => e.kind === 'user' && e.text === 'from the other tab')).toMatchObject({ status: 'done' });
    expect(state.turn).toBe('idle');
  });

  it('labels an automatic fix with its number instead of showing the hub prompt', () => {
    const state = feed([
      { type: 'agent:turn', payload: { turn_id: 't3', text: '[Automatic fix 1 of 2] The live preview failed…', fix: 1, max_fixes: 2, auto_fix: true } },
      { type: 'agent:message', payload: { turn_id: 't3', delta: 'Fixed the typo.', auto_fix: true } },
      { type: 'agent:complete', payload: { turn_id: 't3', auto_fix: true } },
    ]);
    expect(state.entries.map((e) => e.kind)).toEqual(['auto_fix', 'assistant', 'turn_end']);
    expect(state.entries[0]).toMatchObject({ fix: 1, max_fixes: 2 });
  });
});

describe("the hub's answers about preview errors", () => {
  it('adds what the hub does to the latest preview error notice', () => {
    let state = chat_run([{ type: 'preview_error', error: { message: 'boom' } }]);
    state = chat_reducer(state, { type: 'preview_fix', fix: 'started' });
    expect(state.entries[0]).toMatchObject({ code: 'preview_error', detail: 'The agent is fixing it (automatic fix).' });
    state = chat_reducer(state, { type: 'preview_fix', fix: 'limit' });
    expect((state.entries[0] as { detail?: string }).detail).toMatch(/used up/);
    expect(chat_reducer(state, { type: 'preview_fix', fix: 'something new' })).toBe(state);
  });

  it("shows the engine's own preview error in the chat and over the player until the preview restarts", () => {
    const message: Envelope = { type: 'preview:error', payload: { message: "Cannot find module './Titel'", stack: 'at bundle' } };
    const state = feed([message]);
    expect(state.entries).toEqual([
      { kind: 'notice', id: 'p1', tone: 'error', code: 'preview_error', text: "The preview failed: Cannot find module './Titel'", error_message: "Cannot find module './Titel'" },
    ]);
    let view = session_reducer(initial_session_view, { type: 'message', now: 0, message });
    expect(view.engine_preview_error).toEqual({ message: "Cannot find module './Titel'", stack: 'at bundle' });
    view = session_reducer(view, { type: 'message', now: 0, message: { type: 'preview:ready', payload: { url: '/preview/s/' } } });
    expect(view.engine_preview_error).toBeUndefined();
  });
});


