import { describe, expect, it } from 'vitest';
import { chat_reducer, initial_chat_state } from '../src/chat/chat_state';
import { engine_label } from '../src/studio/session_state';

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
