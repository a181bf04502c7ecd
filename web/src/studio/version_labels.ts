// SPDX-License-Identifier: Apache-2.0
/// What a version did, in words: "add_primitive monkey Suzanne at 0,0,1" rather than the hub's
/// "tool modeling__add_primitive". The hub's commit message names only the tool; the tab that ran
/// the command knows its arguments and keeps a label per version (localStorage, per project), so
/// the versions list reads as a history. Pure apart from the storage helpers.

function value_text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 40 ? `${value.slice(0, 37)}…` : value;
  if (typeof value === 'number') return String(Math.round(value * 1000) / 1000);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value.map((v) => String(Math.round(v * 1000) / 1000)).join(',');
  return undefined;
}

/// "add_primitive monkey Suzanne at 0,0,1": the tool's own name, then its arguments' values
/// (vectors as x,y,z, a location after "at", booleans as their name), multi-line texts left out.
export function describe_command(tool: string, args: Record<string, unknown>): string {
  const words = [tool.split('__').pop() ?? tool];
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === 'string' && value.includes('\n')) continue;
    if (typeof value === 'boolean') {
      if (value) words.push(key.replace(/_/g, ' '));
      continue;
    }
    const text = value_text(value);
    if (text === undefined || text === '') continue;
    if (key === 'location') words.push(`at ${text}`);
    // A bare number says nothing ("spin Cube z 1 24 0"): numbers and vectors carry their name.
    else if (Array.isArray(value) || typeof value === 'number') words.push(`${key.replace(/_/g, ' ')} ${text}`);
    else words.push(text);
  }
  return words.join(' ');
}

/// The hub's message made readable when the tab has no label: "tool modeling__add_primitive" →
/// "add_primitive".
export function readable_message(message: string): string {
  const match = /^tool ([\w-]+)__([\w-]+)$/.exec(message.trim());
  return match ? match[2]! : message;
}

const key = (project_id: string) => `atelier.version_labels.${project_id}`;

export function load_version_labels(project_id: string): Record<string, string> {
  try {
    const raw = JSON.parse(window.localStorage.getItem(key(project_id)) ?? '{}') as unknown;
    return raw && typeof raw === 'object' ? (raw as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function save_version_label(project_id: string, rev: string, label: string): void {
  try {
    const labels = load_version_labels(project_id);
    labels[rev] = label;
    // The newest 200 are plenty for a history panel.
    const entries = Object.entries(labels).slice(-200);
    window.localStorage.setItem(key(project_id), JSON.stringify(Object.fromEntries(entries)));
  } catch {
    // Storage disabled: the hub's message is shown instead.
  }
}
