// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { fields_for_schema, initial_values, to_arguments } from '../src/forms/schema_fields';
import { current_vector, scene_info, scene_names } from '../src/studio/scene_info';

describe('parameters in the manifest’s order', () => {
  const schema = {
    type: 'object',
    properties: { end_line: { type: 'integer' }, path: { type: 'string' }, start_line: { type: 'integer' } },
    required: ['path'],
  };
  it('follows parameter_order, required first', () => {
    expect(fields_for_schema(schema, ['path', 'start_line', 'end_line']).map((f) => f.name)).toEqual(['path', 'start_line', 'end_line']);
  });
  it('keeps properties the order does not name, after it', () => {
    expect(fields_for_schema(schema, ['start_line']).map((f) => f.name)).toEqual(['path', 'start_line', 'end_line']);
  });
});

describe('multi-line text', () => {
  it('is a textarea with the multiline hint, or by name, and the hint wins', () => {
    const fields = fields_for_schema({
      type: 'object',
      properties: {
        content: { type: 'string' },
        notes: { type: 'string', multiline: true } as never,
        code: { type: 'string', multiline: false } as never,
        path: { type: 'string' },
      },
    });
    const kind = (name: string) => fields.find((f) => f.name === name)!.kind;
    expect([kind('content'), kind('notes'), kind('code'), kind('path')]).toEqual(['textarea', 'textarea', 'text', 'text']);
  });
  it('keeps newlines in the argument', () => {
    const fields = fields_for_schema({ type: 'object', properties: { content: { type: 'string' } } });
    expect(to_arguments(fields, { content: 'a\nb\n' }).arguments).toEqual({ content: 'a\nb\n' });
  });
});

describe('partial vectors', () => {
  const fields = fields_for_schema({
    type: 'object',
    properties: {
      object_name: { type: 'string', description: 'Object (name of an object in the scene)' },
      location: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
      offset: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3, default: [0, 0, 5] },
    },
  });
  it('keeps the current value of empty components', () => {
    const values = { ...initial_values(fields), object_name: 'Cube', location: ['1', '2', ''] };
    const result = to_arguments(fields, values, () => [7, 8, 9]);
    expect(result.errors).toEqual({});
    expect(result.arguments.location).toEqual([1, 2, 9]);
  });
  it('falls back to the default, and says so when there is nothing to keep', () => {
    expect(to_arguments(fields, { offset: ['', '3', ''] }).arguments.offset).toEqual([0, 3, 5]);
    const result = to_arguments(fields, { location: ['1', '', ''] });
    expect(result.errors.location).toMatch(/^y: empty/);
    expect(JSON.stringify(result.arguments)).not.toContain('null');
  });
  it('marks object-name fields for the picker', () => {
    expect(fields.find((f) => f.name === 'object_name')!.names).toBe('object');
  });
});

describe('scene_info', () => {
  const summary = {
    objects: [
      { name: 'Cube', type: 'mesh', location: [1, 2, 3], rotation: [0, 0, 45], material: 'Red' },
      { name: 'Camera', type: 'camera', location: [7, -7, 5] },
    ],
    collections: ['Props'],
    frame_range: [1, 48],
    fps: 24,
  };
  it('reads objects, materials, collections and the frame range', () => {
    const info = scene_info(summary)!;
    expect(scene_names(info, 'object')).toEqual(['Cube', 'Camera']);
    expect(scene_names(info, 'material')).toEqual(['Red']);
    expect(scene_names(info, 'collection')).toEqual(['Props']);
    expect(info.frame_range).toEqual([1, 48]);
    expect(current_vector(info, 'location', 'Cube')).toEqual([1, 2, 3]);
    expect(current_vector(info, 'rotation', 'Cube')).toEqual([0, 0, 45]);
    expect(current_vector(info, 'location', 'Nope')).toBeUndefined();
  });
  it('ignores what is not a summary', () => {
    expect(scene_info('3 objects')).toBeUndefined();
    expect(scene_info({ objects: 'x' })).toBeUndefined();
  });
});
