// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { restore_with_session, type RestoreSteps } from '../src/studio/restore';
import { initial_session_view, session_reducer, type SessionAction, type SessionView } from '../src/studio/session_state';
import { banner_for } from '../src/studio/session_banner_content';

function recorder(live: boolean, overrides: Partial<RestoreSteps> = {}) {
  const calls: string[] = [];
  const steps: RestoreSteps = {
    restore: async (rev) => {
      calls.push(`restore ${rev}`);
    },
    live: () => live,
    start_session: () => calls.push('start'),
    ...overrides,
  };
  return { calls, steps };
}

describe('restore_with_session', () => {
  it('restores in place while a session is live: the hub reopens the version in its engine', async () => {
    const { calls, steps } = recorder(true);
    await restore_with_session('abc123', steps);
    expect(calls).toEqual(['restore abc123']);
  });

  it('starts a session afterwards when none is live', async () => {
    const { calls, steps } = recorder(false);
    await restore_with_session('abc123', steps);
    expect(calls).toEqual(['restore abc123', 'start']);
  });

  it('reports a failed restore and starts nothing', async () => {
    const { calls, steps } = recorder(false, {
      restore: async () => {
        throw new Error('404 no version');
      },
    });
    await expect(restore_with_session('abc123', steps)).rejects.toThrow('404 no version');
    expect(calls).toEqual([]);
  });
});

describe('the studio while restoring', () => {
  const open: SessionAction = { type: 'connection', state: { kind: 'open' } };
  const ready = (id: string): SessionAction => ({ type: 'message', now: 0, message: { type: 'session:ready', payload: { session_id: id, tools: [] } } });
  const status = (state: string): SessionAction => ({ type: 'message', now: 0, message: { type: 'session:status', payload: { state } } });
  const run = (actions: SessionAction[]): SessionView => actions.reduce(session_reducer, initial_session_view);

  it('shows the restore instead of "session ended" while the old session stops', () => {
    const view = run([open, ready('s1'), { type: 'restoring', label: 'Create project' }, status('ended'), status('starting')]);
    expect(banner_for(view, 0)).toMatchObject({ tone: 'info', busy: true, title: 'Restoring “Create project”…' });
    expect(banner_for(view, 0)?.retry).toBeUndefined();
  });

  it('is over when the new session is ready', () => {
    const view = run([open, ready('s1'), { type: 'restoring', label: 'v1' }, status('ended'), ready('s2')]);
    expect(view.restoring).toBeUndefined();
    expect(view.session_id).toBe('s2');
    expect(banner_for(view, 0)).toBeNull();
  });

  it('takes the session id from session:status, before the engine is ready', () => {
    const view = run([open, { type: 'message', now: 0, message: { type: 'session:status', payload: { state: 'starting', session_id: 's9' } } }]);
    expect(view.session_id).toBe('s9');
  });
});
