// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { list_of } from '../src/api/projects';

describe('list_of', () => {
  it('reads the hub list shape {items, next_cursor}', () => {
    expect(list_of({ items: [{ id: 'a' }], next_cursor: 'x' }, 'projects')).toEqual([{ id: 'a' }]);
  });
  it('still accepts a bare array and a named key', () => {
    expect(list_of([{ id: 'b' }], 'projects')).toEqual([{ id: 'b' }]);
    expect(list_of({ projects: [{ id: 'c' }] }, 'projects')).toEqual([{ id: 'c' }]);
  });
  it('gives an empty list for anything else', () => {
    expect(list_of({ error: 'x' }, 'projects')).toEqual([]);
  });
});
