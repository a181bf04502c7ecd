// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { chat_reducer, initial_chat_state, type ChatAction, type ChatState } from '../src/chat/chat_state';
import { chat_action_for } from '../src/chat/chat_events';

function run(actions: ChatAction[], state: ChatState = initial_chat_state): ChatState {
  return actions.reduce(chat_reducer, state);
}

describe('chat_reducer', () => {
  it('accumulates deltas into one streaming assistant block', () => {
    const state = run([
      { type: 'user_sent', id: 'u1', text: 'make an island' },
      { type: 'delta', text: 'Sure' },
      { type: 'delta', text: ', adding ' },
      { type: 'delta', text: 'sand.' },
    ]);
    expect(state.entries).toHaveLength(2);
    expect(state.entries[1]).toMatchObject({ kind: 'assistant', text: 'Sure, adding sand.', streaming: true });
    expect(state.turn).toBe('running');
  });

  it('pairs tool calls with their results by call_id, in any order', () => {
    const state = run([
      { type: 'user_sent', id: 'u1', text: 'go' },
      { type: 'delta', text: 'Adding two things.' },
      { type: 'tool_call', payload: { call_id: 'c1', tool: 'scene_basics__add_primitive', arguments: { shape: 'cube' } }, now: 1000 },
      { type: 'tool_call', payload: { call_id: 'c2', tool: 'scene_basics__add_primitive', arguments: { shape: 'cone' } }, now: 1010 },
      { type: 'tool_result', payload: { call_id: 'c2', ok: false, error: { code: 'invalid_arguments', message: '/size: too big' }, duration_ms: 4 }, now: 1020 },
      { type: 'tool_result', payload: { call_id: 'c1', ok: true, content: [{ type: 'text', text: 'Cube' }] }, now: 1250 },
      { type: 'delta', text: 'Done.' },
    ]);
    const kinds = state.entries.map((e) => e.kind);
    expect(kinds).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(state.entries[1]).toMatchObject({ streaming: false, text: 'Adding two things.' });
    expect(state.entries[2]).toMatchObject({ call_id: 'c1', status: 'ok', duration_ms: 250, arguments: { shape: 'cube' } });
    expect(state.entries[3]).toMatchObject({ call_id: 'c2', status: 'error', duration_ms: 4, error: { code: 'invalid_arguments' } });
    expect(state.entries[4]).toMatchObject({ text: 'Done.', streaming: true });
  });

  it('shows a result whose call it never saw as its own card', () => {
    const state = run([{ type: 'tool_result', payload: { call_id: 'c9', tool: 'render', is_error: true }, now: 5 }]);
    expect(state.entries).toEqual([expect.objectContaining({ kind: 'tool', tool: 'render', status: 'error' })]);
  });

  it('ignores a repeated tool call', () => {
    const call: ChatAction = { type: 'tool_call', payload: { call_id: 'c1', tool: 't' }, now: 0 };
    expect(run([call, call]).entries).toHaveLength(1);
  });

  it('queues messages sent during a turn and starts them in order as turns complete', () => {
    let state = run([
      { type: 'user_sent', id: 'u1', text: 'one' },
      { type: 'user_sent', id: 'u2', text: 'two' },
      { type: 'user_sent', id: 'u3', text: 'three' },
    ]);
    expect(state.queue).toEqual(['u2', 'u3']);
    expect(state.entries.map((e) => (e.kind === 'user' ? e.status : ''))).toEqual(['active', 'queued', 'queued']);
    state = chat_reducer(state, { type: 'complete', payload: { version: 'abc123' } });
    expect(state.active).toBe('u2');
    expect(state.queue).toEqual(['u3']);
    const users = state.entries.filter((e) => e.kind === 'user');
    expect(users.map((e) => (e.kind === 'user' ? e.status : ''))).toEqual(['done', 'active', 'queued']);
    state = run([{ type: 'complete', payload: {} }, { type: 'complete', payload: {} }], state);
    expect(state.turn).toBe('idle');
    expect(state.active).toBeUndefined();
  });

  it('a cancel that drops the queue ends each turn by its id, the running one last', () => {
    // What the hub sends (seen in the e2e): an ack with a turn id per message, then on agent:cancel
    // agent:complete for the queued turn first, then for the running one.
    const state = run([
      { type: 'user_sent', id: 'u1', text: 'slow' },
      { type: 'turn_assigned', id: 'u1', turn_id: 'T1' },
      { type: 'delta', text: 'Thin' },
      { type: 'user_sent', id: 'u2', text: 'later' },
      { type: 'turn_assigned', id: 'u2', turn_id: 'T2' },
      { type: 'cancel_requested' },
      { type: 'complete', payload: { cancelled: true, turn_id: 'T2' } },
      { type: 'complete', payload: { cancelled: true, turn_id: 'T1' } },
    ]);
    expect(state.entries.map((e) => (e.kind === 'user' ? `${e.text}:${e.status}` : e.kind))).toEqual([
      'slow:done',
      'assistant',
      'later:cancelled',
      'turn_end',
    ]);
    expect(state.entries.filter((e) => e.kind === 'turn_end')).toEqual([expect.objectContaining({ cancelled: true })]);
    expect(state.turn).toBe('idle');
    expect(state.queue).toEqual([]);
  });

  it('records the version and whether the turn was cancelled', () => {
    const state = run([
      { type: 'user_sent', id: 'u1', text: 'go' },
      { type: 'delta', text: 'Work' },
      { type: 'tool_call', payload: { call_id: 'c1', tool: 't' }, now: 0 },
      { type: 'cancel_requested' },
      { type: 'complete', payload: { version: { rev: 'r1' } } },
    ]);
    expect(state.entries.at(-1)).toMatchObject({ kind: 'turn_end', cancelled: true, version: 'r1' });
    expect(state.entries.find((e) => e.kind === 'tool')).toMatchObject({ status: 'interrupted' });
    expect(state.entries.find((e) => e.kind === 'assistant')).toMatchObject({ streaming: false });
  });

  it('shows retries', () => {
    const state = run([{ type: 'retry', payload: { attempt: 1, max_attempts: 2, delay_ms: 500, reason: 'HTTP 529 overloaded' } }]);
    expect(state.entries).toEqual([expect.objectContaining({ kind: 'retry', attempt: 1, max_attempts: 2, reason: 'HTTP 529 overloaded' })]);
  });

  it('turns a no-model error into a notice and fails the message', () => {
    const state = run([
      { type: 'user_sent', id: 'u1', text: 'hello' },
      { type: 'error', error: { code: 'no_model', message: 'no model provider is configured' }, re: 'u1' },
    ]);
    expect(state.no_model).toEqual({ code: 'no_model', message: 'no model provider is configured' });
    expect(state.entries).toEqual([expect.objectContaining({ kind: 'user', status: 'failed', error: 'no model is configured' })]);
    expect(state.turn).toBe('idle');
  });

  it('reads the generic unavailable code as no-model only when it talks about the model', () => {
    const about_model = run([
      { type: 'user_sent', id: 'u1', text: 'hi' },
      { type: 'error', error: { code: 'unavailable', message: 'no model provider is configured' }, re: 'u1' },
    ]);
    expect(about_model.no_model).toBeDefined();
    const other = run([
      { type: 'user_sent', id: 'u1', text: 'hi' },
      { type: 'error', error: { code: 'unavailable', message: 'the engine is restarting' }, re: 'u1' },
    ]);
    expect(other.no_model).toBeUndefined();
    expect(other.entries.at(-1)).toMatchObject({ kind: 'notice', text: 'the engine is restarting' });
  });

  it('ends a turn cancelled with an error as cancelled, not failed', () => {
    const state = run([
      { type: 'user_sent', id: 'u1', text: 'go' },
      { type: 'error', error: { code: 'cancelled', message: 'cancelled by the user' } },
    ]);
    expect(state.turn).toBe('idle');
    expect(state.entries.at(-1)).toMatchObject({ kind: 'turn_end', cancelled: true });
    expect(state.entries[0]).toMatchObject({ status: 'done' });
  });

  it('drops a refused queued message without ending the running turn', () => {
    const state = run([
      { type: 'user_sent', id: 'u1', text: 'one' },
      { type: 'user_sent', id: 'u2', text: 'two' },
      { type: 'error', error: { code: 'queue_full', message: 'too many queued' }, re: 'u2' },
    ]);
    expect(state.turn).toBe('running');
    expect(state.active).toBe('u1');
    expect(state.queue).toEqual([]);
    expect(state.entries[1]).toMatchObject({ status: 'failed', error: 'too many queued' });
  });

  it('closes the streaming block when the connection drops', () => {
    const state = run([
      { type: 'delta', text: 'abc' },
      { type: 'connection_lost' },
      { type: 'delta', text: 'def' },
    ]);
    expect(state.entries.map((e) => (e.kind === 'assistant' ? e.text : ''))).toEqual(['abc', 'def']);
  });

  it("shows a stored turn's tool actions as finished cards before its text", () => {
    const state = run([
      {
        type: 'history',
        messages: [
          { role: 'user', text: 'add a cube' },
          {
            role: 'assistant',
            text: 'Done.',
            tool_actions: [
              { tool: 'scene__create_object', arguments: { name: 'c' }, ok: true },
              { tool: 'scene__delete_object', arguments: { name: 'x' }, ok: false, error: 'no object named x' },
            ],
          },
        ],
      },
    ]);
    expect(state.entries.map((e) => (e.kind === 'tool' ? `${e.tool}:${e.status}` : e.kind))).toEqual([
      'user',
      'scene__create_object:ok',
      'scene__delete_object:error',
      'assistant',
    ]);
    const failed = state.entries[2];
    expect(failed?.kind === 'tool' && failed.error?.message).toBe('no object named x');
  });

  it('loads history only into an empty transcript', () => {
    const state = run([{ type: 'history', messages: [{ role: 'user', text: 'a' }, { role: 'assistant', text: 'b' }, { role: 'tool', text: 'c' }] }]);
    expect(state.entries.map((e) => e.kind)).toEqual(['user', 'assistant']);
    expect(run([{ type: 'history', messages: [{ role: 'user', text: 'x' }] }], state).entries).toHaveLength(2);
  });
});

describe('chat_action_for', () => {
  const mine = (id: string) => id === 'u1';

  it('maps agent events', () => {
    expect(chat_action_for({ type: 'agent:message', payload: { delta: 'hi' } }, 0, mine)).toEqual({ type: 'delta', text: 'hi' });
    expect(chat_action_for({ type: 'agent:complete', payload: { version: 'v' } }, 0, mine)).toEqual({ type: 'complete', payload: { version: 'v' } });
    expect(chat_action_for({ type: 'scene:updated', payload: {} }, 0, mine)).toBeNull();
  });

  it("takes the turn id from the hub's ack of a chat message, not of other requests", () => {
    expect(chat_action_for({ type: 'ack', re: 'u1', payload: { queued: 1, turn_id: 'T9' } }, 0, mine)).toEqual({ type: 'turn_assigned', id: 'u1', turn_id: 'T9' });
    expect(chat_action_for({ type: 'ack', re: 'other', payload: { turn_id: 'T9' } }, 0, mine)).toBeNull();
    expect(chat_action_for({ type: 'ack', re: 'u1', payload: {} }, 0, mine)).toBeNull();
  });

  it('takes errors that answer a chat message or concern the model, not others', () => {
    expect(chat_action_for({ type: 'error', re: 'u1', payload: { code: 'no_model', message: 'm' } }, 0, mine)).toMatchObject({ type: 'error', re: 'u1' });
    expect(chat_action_for({ type: 'error', re: 'cmd', payload: { code: 'invalid_arguments', message: 'm' } }, 0, mine)).toBeNull();
    expect(chat_action_for({ type: 'error', payload: { code: 'no_model', message: 'm' } }, 0, mine)).toMatchObject({ type: 'error' });
    expect(chat_action_for({ type: 'error', payload: { code: 'too_large', message: 'm' } }, 0, mine)).toBeNull();
  });
});
