// SPDX-License-Identifier: Apache-2.0
/// "just now", "5 min ago", "3 h ago", "2 days ago", else a date.
export function relative_time(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 14) return `${days} day${days === 1 ? '' : 's'} ago`;
  return new Date(then).toLocaleDateString();
}

export function format_duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/// `scene_basics__add_primitive` → { addon: "scene_basics", tool: "add_primitive" }.
export function split_tool_name(name: string, addon?: string): { addon: string; tool: string } {
  const index = name.indexOf('__');
  if (index > 0) return { addon: addon ?? name.slice(0, index), tool: name.slice(index + 2) };
  return { addon: addon ?? 'other', tool: name };
}

export function compact_json(value: unknown, limit = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? '';
  } catch {
    text = String(value);
  }
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

export function short_rev(rev: string): string {
  return /^[0-9a-f]{12,}$/i.test(rev) ? rev.slice(0, 8) : rev;
}
