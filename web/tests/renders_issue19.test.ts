// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { initial_session_view, session_reducer, type SessionView } from '../src/studio/session_state';

const message = (type: string, payload: unknown, re?: string) => ({ type: 'message' as const, message: { type, payload, ...(re ? { re } : {}) }, now: 1000 });

function start_render(): SessionView {
  return session_reducer(initial_session_view, { type: 'command_sent', id: 'r1', tool: 'remotion__render_video', now: 0 });
}

describe('render jobs', () => {
  it('leave no ghost: the Remotion engine’s last progress (with a fraction) and the result make one done job', () => {
    let view = start_render();
    const progress = (done: number, encoded: number) =>
      message('render:progress', { call_id: 'c9', request_id: 'r1', tool: 'remotion__render_video', done, total: 90, encoded, progress: done / 90, output: 'renders/intro.mp4' });
    view = session_reducer(view, progress(45, 40));
    expect(view.renders).toHaveLength(1);
    expect(view.renders[0]!.state).toBe('running');
    view = session_reducer(view, progress(90, 90));
    expect(view.renders[0]!.state).toBe('done');
    view = session_reducer(view, message('command:result', { ok: true, content: [], data: { path: 'renders/intro.mp4' } }, 'r1'));
    expect(view.renders).toHaveLength(1);
    expect(view.renders[0]).toMatchObject({ state: 'done', output: 'renders/intro.mp4', command_id: 'r1' });
  });

  it('end as cancelled when the command is cancelled', () => {
    let view = start_render();
    view = session_reducer(view, message('render:progress', { call_id: 'c9', request_id: 'r1', done: 3, total: 90 }));
    expect(view.renders[0]!.command_id).toBe('r1');
    view = session_reducer(view, message('error', { code: 'cancelled', message: 'the call was cancelled' }, 'r1'));
    expect(view.renders[0]).toMatchObject({ state: 'cancelled', message: 'Cancelled.' });
    // A frame the engine finished while the cancel was on its way does not bring it back.
    view = session_reducer(view, message('render:progress', { call_id: 'c9', done: 4, total: 90 }));
    expect(view.renders).toHaveLength(1);
    expect(view.renders[0]!.state).toBe('cancelled');
  });

  it('end as failed when the command fails', () => {
    let view = start_render();
    view = session_reducer(view, message('render:progress', { call_id: 'c9', request_id: 'r1', done: 3, total: 90 }));
    view = session_reducer(view, message('command:result', { ok: false, error: { code: 'engine_error', message: 'ffmpeg: /very/long/path/that/wraps' } }, 'r1'));
    expect(view.renders[0]).toMatchObject({ state: 'failed', message: 'ffmpeg: /very/long/path/that/wraps' });
  });
});

describe('recent commands after a reload', () => {
  it('come back behind the ones run since, finished ones only, once', () => {
    let view = session_reducer(initial_session_view, { type: 'command_sent', id: 'new', tool: 'basics__echo', now: 5 });
    const saved = [
      { id: 'old', tool: 'basics__add', status: 'ok' as const, content: [], started_at: 1 },
      { id: 'gone', tool: 'basics__sleep', status: 'running' as const, content: [], started_at: 2 },
    ];
    view = session_reducer(view, { type: 'commands_restored', commands: saved });
    view = session_reducer(view, { type: 'commands_restored', commands: saved });
    expect(view.commands.map((run) => run.id)).toEqual(['new', 'old']);
  });
});

describe('recent commands from the session’s activity', () => {
  const activity = [
    { id: 'b', tool: 'basics__fail', label: 'fail', ok: false, at: '2026-12-05T21:00:02.000Z', by: { id: '2', kind: 'mcp', name: 'claude-code', version: '2.1' }, error: { code: 'engine_error', message: 'nope' } },
    { id: 'a', tool: 'scene__create_object', label: 'create_object name=cube', ok: true, at: '2026-12-05T21:00:01.000Z', by: { id: '1', kind: 'tab' }, version: 'f'.repeat(40), text: 'made cube', duration_ms: 12 },
  ];

  it('fill the list after a reload, newest first, naming clients other than the user’s tabs', () => {
    const view = session_reducer(initial_session_view, message('session:ready', { session_id: 's1', tools: [], activity }));
    expect(view.commands.map((run) => run.id)).toEqual(['b', 'a']);
    expect(view.commands[0]).toMatchObject({ status: 'error', by: 'claude-code 2.1', error: { code: 'engine_error', message: 'nope' } });
    expect(view.commands[1]).toMatchObject({ status: 'ok', version: 'f'.repeat(40), duration_ms: 12, content: [{ type: 'text', text: 'made cube' }] });
    expect(view.commands[1]!.by).toBeUndefined();
    expect(view.commands[1]!.started_at).toBe(Date.parse('2026-12-05T21:00:01.000Z'));
  });

  it('do not repeat what the tab already shows when the session is ready again', () => {
    let view = session_reducer(initial_session_view, message('session:ready', { session_id: 's1', tools: [], activity }));
    view = session_reducer(view, message('session:ready', { session_id: 's1', tools: [], activity, resumed: true }));
    expect(view.commands.map((run) => run.id)).toEqual(['b', 'a']);
  });
});
