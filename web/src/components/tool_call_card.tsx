// SPDX-License-Identifier: Apache-2.0
import type { ToolEntry } from '../chat/chat_state';
import { compact_json, format_duration, split_tool_name } from '../lib/format';
import { ToolOutput } from './tool_output';

interface Props {
  entry: Pick<ToolEntry, 'tool' | 'arguments' | 'status' | 'content' | 'error' | 'duration_ms'>;
}

const STATUS_LABEL: Record<ToolEntry['status'], string> = {
  running: 'running',
  ok: 'done',
  error: 'failed',
  interrupted: 'interrupted',
};

/// One tool call: name, arguments at a glance (all of them on expand), then result or error.
export function ToolCallCard({ entry }: Props) {
  const { addon, tool } = split_tool_name(entry.tool);
  const has_args = Object.keys(entry.arguments).length > 0;
  const args_line = compact_json(entry.arguments, 120);
  // The full arguments on request only when the line above had to cut them.
  const args_cut = args_line.endsWith('…');
  return (
    <div className={`tool-card ${entry.status}`}>
      <div className="tool-head">
        <span className={`tool-icon ${entry.status}`} role="img" aria-label={STATUS_LABEL[entry.status]} />
        <span className="tool-name">{tool}</span>
        {addon !== 'other' && <span className="tool-addon">{addon}</span>}
        <span className="tool-duration">{entry.status === 'running' ? '…' : format_duration(entry.duration_ms)}</span>
      </div>
      {has_args && <div className="tool-args">{args_line}</div>}
      {(entry.status !== 'running' || args_cut) && (
        <ToolOutput content={entry.content} error={entry.error} arguments={args_cut ? entry.arguments : undefined} />
      )}
    </div>
  );
}
