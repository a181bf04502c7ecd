// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { initial_session_view, presence_label, session_reducer, type SessionAction, type SessionView } from '../src/studio/session_state';
import { banner_for } from '../src/studio/session_banner_content';

function run(actions: SessionAction[], view: SessionView = initial_session_view): SessionView {
  return actions.reduce(session_reducer, view);
}

const tool = { name: 'scene_basics__add_primitive', addon: 'scene_basics', input_schema: { type: 'object' } };

describe('session_reducer', () => {
  it('takes session id, engine and tools from session:ready', () => {
    const view = run([
      { type: 'message', now: 0, message: { type: 'session:status', payload: { state: 'starting', detail: 'launching' } } },
      { type: 'message', now: 0, message: { type: 'session:ready', payload: { session_id: 's1', engine: { kind: 'blender', version: '3.4.1' }, tools: [tool], preview: null } } },
    ]);
    expect(view).toMatchObject({ session_id: 's1', engine: 'blender 3.4.1', tools: [tool], status: { state: 'ready' } });
  });

  it('knows who else is in the session from session:ready and session:presence', () => {
    const tab = { id: '1', kind: 'tab' };
    const view = run([
      { type: 'message', now: 0, message: { type: 'session:ready', payload: { session_id: 's1', tools: [], preview: null, clients: [tab] } } },
    ]);
    expect(presence_label(view.clients)).toBeUndefined(); // alone: nothing to say
    const joined = run(
      [{ type: 'message', now: 0, message: { type: 'session:presence', payload: { session_id: 's1', clients: [tab, { id: '2', kind: 'tab' }, { id: '3', kind: 'mcp', name: 'claude-code', version: '2.1' }] } } }],
      view,
    );
    expect(joined.clients).toHaveLength(3);
    expect(presence_label(joined.clients)).toBe('2 tabs · claude-code 2.1');
  });

  it('replaces the tools on registry:updated', () => {
    const view = run([{ type: 'message', now: 0, message: { type: 'registry:updated', payload: { tools: [tool, { name: 'x' }] } } }]);
    expect(view.tools.map((t) => t.name)).toEqual(['scene_basics__add_primitive', 'x']);
  });

  it('completes a command with the command:result that answers it', () => {
    const view = run([
      { type: 'command_sent', id: 'c1', tool: 'add', now: 100 },
      { type: 'command_sent', id: 'c2', tool: 'add', now: 110 },
      { type: 'message', now: 150, message: { type: 'command:result', re: 'c1', payload: { ok: true, content: [{ type: 'text', text: 'Cube' }] } } },
      { type: 'message', now: 160, message: { type: 'error', re: 'c2', payload: { code: 'invalid_arguments', message: 'bad' } } },
    ]);
    expect(view.commands.find((c) => c.id === 'c1')).toMatchObject({ status: 'ok', duration_ms: 50, content: [{ text: 'Cube' }] });
    expect(view.commands.find((c) => c.id === 'c2')).toMatchObject({ status: 'error', error: { code: 'invalid_arguments' } });
  });

  it('fails a command that timed out but does not overwrite a result', () => {
    const view = run([
      { type: 'command_sent', id: 'c1', tool: 'add', now: 0 },
      { type: 'message', now: 5, message: { type: 'command:result', re: 'c1', payload: { ok: true } } },
      { type: 'command_failed', id: 'c1', error: { code: 'timeout', message: 'late' }, now: 10 },
    ]);
    expect(view.commands[0]).toMatchObject({ status: 'ok' });
  });

  it('marks the session fatal when session:start is refused', () => {
    const view = run([{ type: 'message', now: 0, session_start_id: 's', message: { type: 'error', re: 's', payload: { code: 'not_found', message: 'no such project' } } }]);
    expect(view.fatal).toEqual({ code: 'not_found', message: 'no such project' });
  });

  it('tracks render jobs from render:progress', () => {
    const view = run([
      { type: 'message', now: 0, message: { type: 'render:progress', payload: { job_id: 'j', frame: 50, total_frames: 200, label: 'Turntable' } } },
      { type: 'message', now: 0, message: { type: 'render:progress', payload: { job_id: 'j', state: 'done', output: 'renders/out.mp4' } } },
    ]);
    expect(view.renders).toEqual([expect.objectContaining({ job_id: 'j', label: 'Turntable', progress: 1, state: 'done', output: 'renders/out.mp4', frame: 50 })]);
  });

  it('bumps the version tick on version:created and on turns and commands that made a version', () => {
    const view = run([
      { type: 'message', now: 0, message: { type: 'version:created', payload: { rev: 'a' } } },
      { type: 'message', now: 0, message: { type: 'agent:complete', payload: { version: 'b' } } },
      { type: 'message', now: 0, message: { type: 'agent:complete', payload: {} } },
    ]);
    expect(view.version_tick).toBe(2);
  });
});

describe('banner_for', () => {
  const open: SessionView = { ...initial_session_view, connection: { kind: 'open' } };

  it('says nothing when the session is ready or busy', () => {
    expect(banner_for({ ...open, status: { state: 'ready' } }, 0)).toBeNull();
    expect(banner_for({ ...open, status: { state: 'busy' } }, 0)).toBeNull();
  });

  it('shows engine restarts as attempt n of N', () => {
    const banner = banner_for({ ...open, status: { state: 'reconnecting', attempt: 2, max_attempts: 5, detail: 'blender exited (signal 9)' } }, 0);
    expect(banner).toMatchObject({ tone: 'warn', title: 'The engine stopped — restarting (attempt 2 of 5)', detail: 'blender exited (signal 9)' });
  });

  it('offers a retry when the engine is lost', () => {
    expect(banner_for({ ...open, status: { state: 'lost' } }, 0)).toMatchObject({ tone: 'error', retry: 'Retry' });
  });

  it('counts down to the next reconnect of the page socket', () => {
    const waiting: SessionView = { ...open, connection: { kind: 'waiting', attempt: 3, delay_ms: 4000, reason: 'connection lost' } };
    expect(banner_for(waiting, 1000)?.title).toBe('Connection to the hub lost — reconnecting in 3 s');
    expect(banner_for(waiting, 4000)?.title).toBe('Connection to the hub lost — reconnecting…');
  });
});

describe('render jobs', () => {
  const progress = (done: number, total: number) => ({ type: 'message', now: 0, message: { type: 'render:progress', payload: { call_id: 'call-7', done, total } } }) as SessionAction;

  it('reads the engine shape {call_id, done, total} as a job with frames', () => {
    const view = run([progress(2, 6)]);
    expect(view.renders).toEqual([expect.objectContaining({ job_id: 'call-7', frame: 2, total_frames: 6, state: 'running' })]);
    expect(view.renders[0]!.progress).toBeCloseTo(2 / 6);
  });

  it('is done when done meets total, and the tool result gives it its output at that version', () => {
    const view = run([
      { type: 'command_sent', id: 'c1', tool: 'render__render_animation', now: 0 },
      progress(6, 6),
      { type: 'message', now: 5, message: { type: 'command:result', re: 'c1', payload: { ok: true, data: { path: 'renders/animation.mp4' }, version: 'abc123' } } },
    ]);
    expect(view.renders).toEqual([expect.objectContaining({ job_id: 'call-7', state: 'done', progress: 1, output: 'renders/animation.mp4', rev: 'abc123' })]);
  });

  it('makes a finished job of a render result that came without progress', () => {
    const view = run([
      { type: 'command_sent', id: 'c1', tool: 'render__render_still', now: 0 },
      { type: 'message', now: 5, message: { type: 'command:result', re: 'c1', payload: { ok: true, data: { path: 'renders/still.png' } } } },
    ]);
    expect(view.renders).toEqual([expect.objectContaining({ label: 'still.png', state: 'done', output: 'renders/still.png' })]);
  });

  it('ignores results that are not renders', () => {
    const view = run([
      { type: 'command_sent', id: 'c1', tool: 'export', now: 0 },
      { type: 'message', now: 5, message: { type: 'command:result', re: 'c1', payload: { ok: true, data: { path: 'exports/scene.glb' } } } },
    ]);
    expect(view.renders).toEqual([]);
  });
});
