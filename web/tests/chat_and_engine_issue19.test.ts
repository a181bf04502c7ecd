// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { chat_reducer, initial_chat_state } from '../src/chat/chat_state';
import { engine_label } from '../src/studio/session_state';
import { describe_command, readable_message } from '../src/studio/version_labels';

describe('preview errors in the chat', () => {
  const error = { message: 'src/Intro.tsx: Unexpected token (83:23)\n\n  82 | };\n> 83 | export const broken = (;', composition: 'Intro' };
  it('are one notice, with the code frame apart, however often and by whom they are reported', () => {
    let state = chat_reducer(initial_chat_state, { type: 'preview_error', error });
    state = chat_reducer(state, { type: 'preview_error', error: { message: error.message } });
    state = chat_reducer(state, { type: 'preview_error', error });
    expect(state.entries).toHaveLength(1);
    expect(state.entries[0]).toMatchObject({ kind: 'notice', text: 'The preview failed (Intro): src/Intro.tsx: Unexpected token (83:23)', pre: '  82 | };\n> 83 | export const broken = (;' });
  });
  it('come again after the user said something', () => {
    let state = chat_reducer(initial_chat_state, { type: 'preview_error', error });
    state = chat_reducer(state, { type: 'user_sent', id: 'u1', text: 'fix it' });
    state = chat_reducer(state, { type: 'preview_error', error });
    expect(state.entries.filter((entry) => entry.kind === 'notice')).toHaveLength(2);
  });
});

describe('engine_label', () => {
  it('names the application and its version when the hub passes it on, else the engine', () => {
    expect(engine_label({ kind: 'blender', version: '0.1.0', app_version: '3.4.1' })).toBe('Blender 3.4.1');
    expect(engine_label({ kind: 'blender', version: '0.1.0', blender_version: '3.4.1' })).toBe('Blender 3.4.1');
    expect(engine_label({ kind: 'blender', version: '0.1.0' })).toBe('blender 0.1.0');
  });
});


describe('version labels', () => {
  it('say what the command did', () => {
    expect(describe_command('modeling__add_primitive', { shape: 'monkey', name: 'Suzanne', location: [0, 0, 1] })).toBe('add_primitive monkey Suzanne at 0,0,1');
    expect(describe_command('files__write_file', { path: 'src/A.tsx', content: 'a\nb' })).toBe('write_file src/A.tsx');
    expect(describe_command('scene__transform_object', { name: 'Cube', scale: [2, 2, 2], apply: true })).toBe('transform_object Cube scale 2,2,2 apply');
    expect(describe_command('animation__spin', { name: 'Cube', axis: 'z', turns: 1, frames: 24, cyclic: true })).toBe('spin Cube z turns 1 frames 24 cyclic');
  });
  it('make the hub’s message readable when the tab has no label', () => {
    expect(readable_message('tool modeling__add_primitive')).toBe('add_primitive');
    expect(readable_message('restore 1a2b3c')).toBe('restore 1a2b3c');
  });
});
