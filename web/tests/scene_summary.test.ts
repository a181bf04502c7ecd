// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { summary_line } from '../src/studio/scene_summary';
import { initial_session_view, session_reducer } from '../src/studio/session_state';

describe('summary_line', () => {
  it('keeps a string summary', () => {
    expect(summary_line('a cube and a lamp')).toBe('a cube and a lamp');
  });

  it('names the objects of a summary object', () => {
    expect(summary_line({ objects: [{ name: 'Cube' }, { name: 'Light' }, { name: 'Camera' }] })).toBe('3 objects: Cube, Light, Camera');
  });

  it('counts what it does not name', () => {
    expect(summary_line({ object_count: 9, objects: ['a', 'b', 'c'] }, 2)).toBe('9 objects: a, b +7 more');
  });

  it('says when the scene is empty', () => {
    expect(summary_line({ objects: [] })).toBe('Empty scene');
  });

  it('ignores shapes it does not know', () => {
    expect(summary_line({ frames: 10 })).toBeUndefined();
    expect(summary_line(42)).toBeUndefined();
  });

  it('is what the studio shows after scene:updated', () => {
    const view = session_reducer(initial_session_view, { type: 'message', now: 0, message: { type: 'scene:updated', payload: { summary: { objects: [{ name: 'cube1', shape: 'cube' }] } } } });
    expect(view.scene_summary).toBe('1 object: cube1');
  });
});
