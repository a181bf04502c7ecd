// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { history_action, history_tools } from '../src/studio/history';
import { configure_payload, same_payload } from '../src/studio/viewport_settings';

describe('configure_payload', () => {
  it('keeps the panel’s size and aspect, with the shading and view', () => {
    expect(configure_payload(800, 450, 'material', 'camera')).toEqual({ width: 800, height: 450, shading: 'material', view: 'camera' });
  });
  it('caps the long side and keeps the aspect', () => {
    const payload = configure_payload(3200, 1600, 'solid', 'free')!;
    expect(payload.width).toBe(1600);
    expect(payload.height).toBe(800);
  });
  it('keeps each side within the hub’s 16..4096 and skips a panel without size', () => {
    expect(configure_payload(2000, 4, 'solid', 'free')!.height).toBe(16);
    expect(configure_payload(0, 300, 'solid', 'free')).toBeUndefined();
  });
  it('compares payloads by value', () => {
    expect(same_payload(configure_payload(10, 20, 'solid', 'free'), configure_payload(10, 20, 'solid', 'free'))).toBe(true);
    expect(same_payload(configure_payload(10, 20, 'solid', 'free'), configure_payload(10, 20, 'rendered', 'free'))).toBe(false);
  });
});

describe('history', () => {
  it('finds the router’s undo and redo tools', () => {
    expect(history_tools([{ name: 'scene__list' }, { name: 'router__undo' }, { name: 'router__redo' }])).toEqual({ undo: 'router__undo', redo: 'router__redo' });
    expect(history_tools([{ name: 'files__write_file' }])).toEqual({});
  });
  const key = (key: string, modifiers: Partial<{ ctrlKey: boolean; shiftKey: boolean; metaKey: boolean; altKey: boolean }>, target: unknown = null) => ({
    key,
    ctrlKey: false,
    shiftKey: false,
    metaKey: false,
    altKey: false,
    ...modifiers,
    target: target as EventTarget | null,
  });
  it('reads Ctrl+Z as undo and Ctrl+Shift+Z or Ctrl+Y as redo', () => {
    expect(history_action(key('z', { ctrlKey: true }))).toBe('undo');
    expect(history_action(key('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(history_action(key('y', { ctrlKey: true }))).toBe('redo');
    expect(history_action(key('z', { metaKey: true }))).toBe('undo');
    expect(history_action(key('z', {}))).toBeUndefined();
  });
  it('leaves the keys to a text field', () => {
    expect(history_action(key('z', { ctrlKey: true }, { tagName: 'TEXTAREA' }))).toBeUndefined();
    expect(history_action(key('z', { ctrlKey: true }, { tagName: 'DIV', closest: () => ({}) }))).toBeUndefined();
    expect(history_action(key('z', { ctrlKey: true }, { tagName: 'CANVAS', closest: () => null }))).toBe('undo');
  });
});
