// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { field_for, fields_for_schema, initial_values, is_color_schema, to_arguments } from '../src/forms/schema_fields';
import type { JsonSchema } from '../src/protocol/messages';

// The schema the hub makes of the add_primitive manifest in DESIGN §3.
const add_primitive: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['shape'],
  properties: {
    location: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3, default: [0, 0, 0], description: 'World position' },
    size: { type: 'number', minimum: 0.001, maximum: 1000, default: 2, description: 'Size in metres' },
    color: { type: 'string', description: '#RRGGBB base colour' },
    shape: { type: 'string', enum: ['cube', 'uv_sphere', 'cylinder', 'cone', 'plane', 'torus', 'monkey'], description: 'Primitive to add' },
    smooth: { type: 'boolean' },
    segments: { type: 'integer', minimum: 3, maximum: 256 },
    name: { type: 'string' },
    extra: { type: 'object' },
  },
};

describe('field_for', () => {
  it('maps enum to a select that keeps its values', () => {
    const field = field_for('shape', { type: 'string', enum: ['cube', 'plane'] }, true);
    expect(field).toMatchObject({ kind: 'select', required: true, label: 'Shape' });
    expect(field.options).toEqual([
      { label: 'cube', value: 'cube' },
      { label: 'plane', value: 'plane' },
    ]);
  });

  it('maps an array of exactly 3 numbers to a vector of x, y, z', () => {
    const field = field_for('location', add_primitive.properties!.location!, false);
    expect(field).toMatchObject({ kind: 'vector', size: 3, components: ['x', 'y', 'z'], integer: false });
  });

  it('does not treat an open-ended number array as a vector', () => {
    expect(field_for('xs', { type: 'array', items: { type: 'number' } }, false).kind).toBe('json');
    expect(field_for('xs', { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 5 }, false).kind).toBe('json');
  });

  it('maps boolean to a toggle', () => {
    expect(field_for('smooth', { type: 'boolean' }, false).kind).toBe('toggle');
  });

  it('maps numbers with their bounds, integers with step 1', () => {
    expect(field_for('size', add_primitive.properties!.size!, false)).toMatchObject({
      kind: 'number', min: 0.001, max: 1000, step: 'any', integer: false, default: 2,
    });
    expect(field_for('segments', add_primitive.properties!.segments!, false)).toMatchObject({
      kind: 'number', min: 3, max: 256, step: 1, integer: true,
    });
  });

  it('recognises colours by format, extension, description or default — and only strings', () => {
    expect(is_color_schema({ type: 'string', format: 'color' })).toBe(true);
    expect(is_color_schema({ type: 'string', 'x-atelier-type': 'color' })).toBe(true);
    expect(is_color_schema({ type: 'string', description: '#RRGGBB base colour' })).toBe(true);
    expect(is_color_schema({ type: 'string', default: '#ff8800' })).toBe(true);
    expect(is_color_schema({ type: 'string', description: 'the colour of the sky' })).toBe(false);
    expect(is_color_schema({ type: 'number', format: 'color' })).toBe(false);
    expect(field_for('color', add_primitive.properties!.color!, false).kind).toBe('color');
  });

  it('falls back to text for strings and JSON for objects', () => {
    expect(field_for('name', { type: 'string' }, false).kind).toBe('text');
    expect(field_for('script', { type: 'string', maxLength: 10000 }, false).kind).toBe('textarea');
    expect(field_for('extra', { type: 'object' }, false).kind).toBe('json');
  });

  it('reads nullable types by their non-null member', () => {
    expect(field_for('n', { type: ['null', 'integer'] }, false).kind).toBe('number');
  });

  it('prefers the schema title and humanizes names otherwise', () => {
    expect(field_for('base_color', { type: 'string', title: 'Tint' }, false).label).toBe('Tint');
    expect(field_for('frame_rate', { type: 'number' }, false).label).toBe('Frame rate');
  });
});

describe('fields_for_schema', () => {
  it('puts required fields first and marks them', () => {
    const fields = fields_for_schema(add_primitive);
    expect(fields[0]).toMatchObject({ name: 'shape', required: true });
    expect(fields.filter((f) => f.required).map((f) => f.name)).toEqual(['shape']);
    expect(fields.map((f) => f.name)).toEqual(['shape', 'location', 'size', 'color', 'smooth', 'segments', 'name', 'extra']);
  });

  it('is empty for a tool without parameters', () => {
    expect(fields_for_schema(undefined)).toEqual([]);
    expect(fields_for_schema({ type: 'object' })).toEqual([]);
  });
});

describe('initial_values and to_arguments', () => {
  const fields = fields_for_schema(add_primitive);

  it('fills defaults and starts a required select at its first option', () => {
    const values = initial_values(fields);
    expect(values).toMatchObject({ shape: '0', location: ['0', '0', '0'], size: '2', color: '', name: '' });
    expect(values.smooth).toBeUndefined();
  });

  it('turns untouched defaults into arguments and leaves empty optional fields out', () => {
    const { arguments: args, errors } = to_arguments(fields, initial_values(fields));
    expect(errors).toEqual({});
    expect(args).toEqual({ shape: 'cube', location: [0, 0, 0], size: 2 });
  });

  it('converts every kind of field', () => {
    const values = {
      ...initial_values(fields),
      shape: '6',
      location: ['1', '-2.5', '3e0'],
      size: '0.5',
      color: '#FF8800',
      smooth: true,
      segments: '32',
      name: 'Suzanne',
      extra: '{"a": [1]}',
    };
    expect(to_arguments(fields, values)).toEqual({
      arguments: {
        shape: 'monkey', location: [1, -2.5, 3], size: 0.5, color: '#ff8800', smooth: true, segments: 32, name: 'Suzanne', extra: { a: [1] },
      },
      errors: {},
    });
  });

  it('reports bounds, integers, bad JSON, bad colours and missing required fields by field', () => {
    const values = { ...initial_values(fields), shape: '', size: '5000', segments: '2.5', extra: '{', color: 'red', location: ['1', 'x', '3'] };
    expect(to_arguments(fields, values).errors).toEqual({
      shape: 'required',
      size: 'must be at most 1000',
      segments: 'must be a whole number',
      extra: 'not valid JSON',
      color: 'use #RRGGBB',
      location: 'y: not a number',
    });
  });

  it('keeps non-string enum values', () => {
    const enum_fields = fields_for_schema({ type: 'object', properties: { samples: { type: 'integer', enum: [8, 16, 64] } }, required: ['samples'] });
    expect(to_arguments(enum_fields, { samples: '2' }).arguments).toEqual({ samples: 64 });
  });
});
