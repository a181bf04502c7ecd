// SPDX-License-Identifier: Apache-2.0
import type { JsonSchema } from '../protocol/messages';

/// Maps a tool's JSON Schema to form fields, and form values back to tool arguments. Pure: the
/// React form only renders what this decides.
///
/// Rules, in order, for each property:
///  - `enum`                                  → select (values keep their JSON type)
///  - boolean                                 → toggle
///  - array of 2–4 numbers with minItems = maxItems → that many number inputs (vector3 → x, y, z)
///  - string that is a colour                 → colour picker + hex text. A string is a colour when
///      its `format` is "color", or `x-atelier-type` is "color", or its description mentions
///      "#RRGGBB", or its default is a "#RRGGBB" string. (The hub's schemas have no `pattern`.)
///  - integer / number                        → number input with min/max (integer: step 1)
///  - string                                  → textarea when it is multi-line text (below), else a
///      text input; an object / material / collection name gets a picker of the scene's names
///  - anything else (objects, other arrays)   → JSON textarea
///
/// A string is multi-line text when its schema says `"multiline": true` (docs/manifest.md), or,
/// unless it says `"multiline": false`, when its name is one of MULTILINE_NAMES (file contents,
/// code, replacement texts) or its maxLength is over 200.

export type FieldKind = 'select' | 'toggle' | 'vector' | 'color' | 'number' | 'text' | 'textarea' | 'json';

/// What a name field names, for its picker: filled from the scene summary.
export type NameKind = 'object' | 'material' | 'collection';

/// String parameters that hold text of many lines when the manifest says nothing.
export const MULTILINE_NAMES: ReadonlySet<string> = new Set(['content', 'code', 'text', 'old_text', 'new_text', 'source', 'script', 'body']);

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  options?: { label: string; value: unknown }[];
  integer?: boolean;
  min?: number;
  max?: number;
  step?: number | 'any';
  /// vector: number of components, and their labels.
  size?: number;
  components?: string[];
  default?: unknown;
  /// text: what the name names (a picker of the scene's names).
  names?: NameKind;
}

/// Form state of one field: text inputs hold strings (so "-" and "1." can be typed), toggles hold
/// booleans, vectors hold one string per component, selects hold the option index as a string.
export type FieldValue = string | boolean | string[] | undefined;
export type FormValues = Record<string, FieldValue>;

const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

function primary_type(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  return schema.type;
}

function humanize(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function is_color_schema(schema: JsonSchema): boolean {
  if (primary_type(schema) !== 'string') return false;
  if (schema.format === 'color' || schema['x-atelier-type'] === 'color') return true;
  if (schema.description && /#RRGGBB/i.test(schema.description)) return true;
  return typeof schema.default === 'string' && COLOR_RE.test(schema.default);
}

function is_number_type(type: string | undefined): boolean {
  return type === 'number' || type === 'integer';
}

export function field_for(name: string, schema: JsonSchema, required: boolean): FieldSpec {
  const type = primary_type(schema);
  const base = {
    name,
    label: schema.title ?? humanize(name),
    required,
    ...(schema.description ? { description: schema.description } : {}),
    ...(schema.default !== undefined ? { default: schema.default } : {}),
  };
  if (Array.isArray(schema.enum)) {
    return { ...base, kind: 'select', options: schema.enum.map((value) => ({ label: String(value), value })) };
  }
  if (type === 'boolean') return { ...base, kind: 'toggle' };
  if (type === 'array' && schema.items && is_number_type(primary_type(schema.items))) {
    const size = schema.minItems;
    if (size !== undefined && size === schema.maxItems && size >= 2 && size <= 4) {
      return {
        ...base,
        kind: 'vector',
        size,
        components: ['x', 'y', 'z', 'w'].slice(0, size),
        integer: primary_type(schema.items) === 'integer',
        ...number_bounds(schema.items),
      };
    }
  }
  if (is_color_schema(schema)) return { ...base, kind: 'color' };
  if (is_number_type(type)) {
    const integer = type === 'integer';
    return { ...base, kind: 'number', integer, step: integer ? 1 : 'any', ...number_bounds(schema) };
  }
  if (type === 'string') {
    if (is_multiline(name, schema)) return { ...base, kind: 'textarea' };
    const names = name_kind(name, schema);
    return { ...base, kind: 'text', ...(names ? { names } : {}) };
  }
  return { ...base, kind: 'json' };
}

export function is_multiline(name: string, schema: JsonSchema): boolean {
  const hint = (schema as { multiline?: unknown }).multiline ?? schema['x-multiline'];
  if (typeof hint === 'boolean') return hint;
  return MULTILINE_NAMES.has(name) || (schema.maxLength ?? 0) > 200;
}

/// The hub appends "name of an object in the scene" (and of a material, a collection) to the
/// descriptions of `object_name`, `material_name` and `collection_name` parameters.
export function name_kind(name: string, schema: JsonSchema): NameKind | undefined {
  const declared = schema['x-atelier-type'];
  if (declared === 'object_name') return 'object';
  if (declared === 'material_name') return 'material';
  if (declared === 'collection_name') return 'collection';
  const description = schema.description ?? '';
  if (/name of an object/i.test(description) || /^(object|object_name|target|parent)$/.test(name)) return 'object';
  if (/name of a material/i.test(description) || /^material(_name)?$/.test(name)) return 'material';
  if (/name of a collection/i.test(description) || /^collection(_name)?$/.test(name)) return 'collection';
  return undefined;
}

function number_bounds(schema: JsonSchema): { min?: number; max?: number } {
  const min = schema.minimum ?? schema.exclusiveMinimum;
  const max = schema.maximum ?? schema.exclusiveMaximum;
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/// The fields of a tool's input schema, required ones first, each group in the manifest's order:
/// `order` (the tool's `parameter_order`, since the hub's JSON objects sort their keys), then any
/// property it does not name in schema order.
export function fields_for_schema(schema: JsonSchema | undefined, order: readonly string[] = []): FieldSpec[] {
  const properties = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  const names = [...order.filter((name) => name in properties), ...Object.keys(properties).filter((name) => !order.includes(name))];
  const fields = names.map((name) => field_for(name, properties[name]!, required.has(name)));
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

/// Initial form values: defaults filled in; otherwise empty (and then omitted from the call).
export function initial_values(fields: FieldSpec[]): FormValues {
  const values: FormValues = {};
  for (const field of fields) values[field.name] = initial_value(field);
  return values;
}

function initial_value(field: FieldSpec): FieldValue {
  const d = field.default;
  switch (field.kind) {
    case 'select': {
      const index = field.options?.findIndex((o) => JSON.stringify(o.value) === JSON.stringify(d)) ?? -1;
      if (index >= 0) return String(index);
      // A required select with no default starts at its first option; an optional one at "—".
      return field.required && field.options && field.options.length > 0 ? '0' : '';
    }
    case 'toggle':
      return typeof d === 'boolean' ? d : field.required ? false : undefined;
    case 'vector': {
      const size = field.size ?? 3;
      const source = Array.isArray(d) ? d : [];
      return Array.from({ length: size }, (_, i) => (typeof source[i] === 'number' ? String(source[i]) : ''));
    }
    case 'color':
      return typeof d === 'string' && COLOR_RE.test(d) ? d.toLowerCase() : field.required ? '#808080' : '';
    case 'number':
      return typeof d === 'number' ? String(d) : '';
    case 'text':
    case 'textarea':
      return typeof d === 'string' ? d : '';
    case 'json':
      return d !== undefined ? JSON.stringify(d, null, 2) : '';
  }
}

export interface ConversionResult {
  arguments: Record<string, unknown>;
  /// Field name → message; empty when the arguments can be sent.
  errors: Record<string, string>;
}

function parse_number(text: string, field: FieldSpec): number | string {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value)) return 'not a number';
  if (field.integer && !Number.isInteger(value)) return 'must be a whole number';
  if (field.min !== undefined && value < field.min) return `must be at least ${field.min}`;
  if (field.max !== undefined && value > field.max) return `must be at most ${field.max}`;
  return value;
}

/// Where an empty component of a partly filled vector comes from: the current value of that
/// property in the scene (the named object's location, say), else undefined.
export type VectorFallback = (field: FieldSpec, values: FormValues) => readonly number[] | undefined;

/// Turns form values into tool arguments. Empty optional fields are left out so the engine's own
/// defaults apply; the hub validates again (this is for fast, precise feedback only). A vector
/// with some components empty keeps the current value of those (`fallback`, from the scene), else
/// the parameter's default; only when neither exists is the empty component an error.
export function to_arguments(fields: FieldSpec[], values: FormValues, fallback?: VectorFallback): ConversionResult {
  const args: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.name];
    const missing = () => {
      if (field.required) errors[field.name] = 'required';
    };
    switch (field.kind) {
      case 'select': {
        const option = typeof value === 'string' && value !== '' ? field.options?.[Number(value)] : undefined;
        if (option) args[field.name] = option.value;
        else missing();
        break;
      }
      case 'toggle':
        if (typeof value === 'boolean') args[field.name] = value;
        else missing();
        break;
      case 'vector': {
        const parts = Array.isArray(value) ? value : [];
        if (parts.every((p) => p.trim() === '')) {
          missing();
          break;
        }
        const numbers: number[] = [];
        const current = parts.some((p) => p.trim() === '') ? (fallback?.(field, values) ?? (Array.isArray(field.default) ? (field.default as unknown[]) : undefined)) : undefined;
        for (let i = 0; i < (field.size ?? 3); i++) {
          const text = parts[i] ?? '';
          const kept = current?.[i];
          if (text.trim() === '' && typeof kept === 'number' && Number.isFinite(kept)) {
            numbers.push(kept);
            continue;
          }
          if (text.trim() === '') {
            errors[field.name] = `${field.components?.[i] ?? i}: empty (fill it in: there is no current value to keep)`;
            break;
          }
          const parsed = parse_number(text, field);
          if (typeof parsed === 'string') {
            errors[field.name] = `${field.components?.[i] ?? i}: ${parsed}`;
            break;
          }
          numbers.push(parsed);
        }
        if (!errors[field.name]) args[field.name] = numbers;
        break;
      }
      case 'color':
        if (typeof value === 'string' && value !== '') {
          if (COLOR_RE.test(value)) args[field.name] = value.toLowerCase();
          else errors[field.name] = 'use #RRGGBB';
        } else missing();
        break;
      case 'number':
        if (typeof value === 'string' && value.trim() !== '') {
          const parsed = parse_number(value, field);
          if (typeof parsed === 'string') errors[field.name] = parsed;
          else args[field.name] = parsed;
        } else missing();
        break;
      case 'text':
      case 'textarea':
        if (typeof value === 'string' && value !== '') args[field.name] = value;
        else missing();
        break;
      case 'json':
        if (typeof value === 'string' && value.trim() !== '') {
          try {
            args[field.name] = JSON.parse(value);
          } catch {
            errors[field.name] = 'not valid JSON';
          }
        } else missing();
        break;
    }
  }
  return { arguments: args, errors };
}
