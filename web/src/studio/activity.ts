// SPDX-License-Identifier: Apache-2.0
/// The session's recent commands as the hub keeps them (`session:ready`'s `activity`,
/// docs/protocol.md): what fills "Recent commands" after a reload, whoever ran them.

import type { CommandRun } from './session_state';

interface ActivityEntry {
  id?: unknown;
  tool?: unknown;
  ok?: unknown;
  at?: unknown;
  by?: { kind?: unknown; name?: unknown; version?: unknown } | unknown;
  duration_ms?: unknown;
  version?: unknown;
  error?: { code?: unknown; message?: unknown } | unknown;
  text?: unknown;
}

/// `label`: names the client that ran an entry (session_state's client_label). The user's own tabs
/// (the same account, before a reload or in another window) are not named: they are "you".
export function activity_runs(raw: unknown, label: (by: unknown) => string, now: number): CommandRun[] {
  if (!Array.isArray(raw)) return [];
  const runs: CommandRun[] = [];
  for (const item of raw as ActivityEntry[]) {
    if (!item || typeof item !== 'object' || typeof item.id !== 'string' || typeof item.tool !== 'string') continue;
    const error = item.error && typeof item.error === 'object' ? (item.error as { code?: unknown; message?: unknown }) : undefined;
    const by = item.by && typeof item.by === 'object' ? (item.by as { kind?: unknown }) : undefined;
    const started = typeof item.at === 'string' ? Date.parse(item.at) : NaN;
    runs.push({
      id: item.id,
      tool: item.tool,
      status: item.ok === true && !error ? 'ok' : 'error',
      content: typeof item.text === 'string' && item.text ? [{ type: 'text', text: item.text }] : [],
      started_at: Number.isFinite(started) ? started : now,
      ...(typeof item.duration_ms === 'number' ? { duration_ms: item.duration_ms } : {}),
      ...(typeof item.version === 'string' ? { version: item.version } : {}),
      ...(error ? { error: { code: String(error.code ?? 'error'), message: String(error.message ?? 'the command failed') } } : {}),
      ...(by && by.kind !== 'tab' ? { by: label(item.by) } : {}),
    });
  }
  return runs;
}
