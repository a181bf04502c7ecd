// SPDX-License-Identifier: Apache-2.0
/// Tool results as a person reads them (issue 19, item 14): an engine's text often ends in a dump of
/// its data ("Cube uses material Material: {'name': 'Material', 'base_color': […]}", a Python dict
/// repr, or JSON). The dump is cut from the sentence and the data shown as a few labelled rows, the
/// full structure one click away. Pure.

export interface SummaryRow {
  label: string;
  value: string;
}

export interface ReadableResult {
  /// The text without the trailing dump.
  text: string;
  /// Rows that say what the dump (or the data) held; empty when the text says it already.
  rows: SummaryRow[];
  /// The structure for the expandable details (the data, else the parsed dump).
  details?: unknown;
}

const MAX_ROWS = 10;

/// Index where a balanced `{…}` or `[…]` runs to the end of `text` (ignoring trailing spaces and a
/// full stop), or -1. Quotes are honoured so that a brace inside a string does not count.
function trailing_blob_start(text: string): number {
  const body = text.replace(/[\s.]+$/, '');
  const close = body.at(-1);
  if (close !== '}' && close !== ']') return -1;
  let depth = 0;
  let quote: string | undefined;
  for (let i = body.length - 1; i >= 0; i -= 1) {
    const c = body[i]!;
    if (quote) {
      if (c === quote && body[i - 1] !== '\\') quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '}' || c === ']') depth += 1;
    else if (c === '{' || c === '[') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/// JSON, or a Python literal (single quotes, True/False/None, tuples) read as JSON; undefined when neither.
export function parse_literal(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: try it as a Python repr.
  }
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && i + 1 < text.length) {
        const next = text[i + 1]!;
        out += next === "'" ? "'" : `\\${next}`;
        i += 1;
      } else if (c === quote) {
        out += '"';
        quote = undefined;
      } else out += c === '"' ? '\\"' : c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      out += '"';
    } else if (c === '(') out += '[';
    else if (c === ')') out += ']';
    else out += c;
  }
  out = out.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null').replace(/,\s*([\]}])/g, '$1');
  try {
    return JSON.parse(out) as unknown;
  } catch {
    return undefined;
  }
}

function number_text(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function name_of(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['name', 'path', 'id', 'title']) if (typeof record[key] === 'string' && record[key] !== '') return record[key] as string;
  return undefined;
}

/// One value in a few words: numbers rounded, short vectors as "1, 2, 3", lists by their names.
export function value_text(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return number_text(value);
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 77)}…` : value;
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    if (value.every((v) => typeof v === 'number') && value.length <= 4) return value.map((v) => number_text(v as number)).join(', ');
    const names = value.map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : name_of(v)));
    if (names.every((n): n is string => n !== undefined)) {
      const shown = names.slice(0, 5).join(', ');
      return value.length > 5 ? `${shown} … (${value.length})` : shown;
    }
    return `${value.length} items`;
  }
  if (typeof value === 'object') {
    const name = name_of(value);
    const count = Object.keys(value).length;
    return name ?? `${count} field${count === 1 ? '' : 's'}`;
  }
  return String(value);
}

function label_of(key: string): string {
  const words = key.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/// The top-level fields of a structure as rows (a list: one row per item, by its name).
export function summary_rows(value: unknown): SummaryRow[] {
  if (Array.isArray(value)) {
    return value.slice(0, MAX_ROWS).map((item, index) => ({ label: name_of(item) ?? `#${index + 1}`, value: name_of(item) ? summary_of_item(item) : value_text(item) }));
  }
  if (!value || typeof value !== 'object') return value === undefined ? [] : [{ label: 'Value', value: value_text(value) }];
  const rows = Object.entries(value as Record<string, unknown>).map(([key, field]) => ({ label: label_of(key), value: value_text(field) }));
  if (rows.length <= MAX_ROWS) return rows;
  return [...rows.slice(0, MAX_ROWS - 1), { label: 'More', value: `${rows.length - MAX_ROWS + 1} more fields` }];
}

/// An object in a list, beside its name: its other scalar fields, briefly.
function summary_of_item(item: unknown): string {
  const record = item as Record<string, unknown>;
  const parts = Object.entries(record)
    .filter(([key, field]) => !['name', 'path', 'id', 'title'].includes(key) && field !== null && typeof field !== 'object')
    .slice(0, 3)
    .map(([key, field]) => `${key.replace(/_/g, ' ')} ${value_text(field)}`);
  const vectors = Object.entries(record)
    .filter(([, field]) => Array.isArray(field) && field.length <= 4 && field.every((v) => typeof v === 'number'))
    .slice(0, 1)
    .map(([key, field]) => `${key.replace(/_/g, ' ')} ${value_text(field)}`);
  return [...parts, ...vectors].join(' · ') || value_text(item);
}

function empty(data: unknown): boolean {
  return data === undefined || data === null || (typeof data === 'object' && Object.keys(data).length === 0);
}

/// The text to show, the rows that replace a dump, and what the details hold.
export function readable_result(text: string, data?: unknown): ReadableResult {
  const trimmed = text.trim();
  const start = trailing_blob_start(trimmed);
  if (start >= 0) {
    const blob = parse_literal(trimmed.slice(start).replace(/[\s.]+$/, ''));
    if (blob !== undefined || !empty(data)) {
      const structure = empty(data) ? blob : data;
      const sentence = trimmed.slice(0, start).replace(/[\s:=-]+$/, '');
      return { text: sentence, rows: summary_rows(structure), details: structure };
    }
  }
  if (trimmed === '' && !empty(data)) return { text: '', rows: summary_rows(data), details: data };
  return { text: trimmed, rows: [], ...(empty(data) ? {} : { details: data }) };
}
