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
  return (
    <div className={`tool-card ${entry.status}`}>
      <div className="tool-head">
        <span className={`tool-icon ${entry.status}`} role="img" aria-label={STATUS_LABEL[entry.status]} />
        <span className="tool-name">{tool}</span>
        {addon !== 'other' && <span className="tool-addon">{addon}</span>}
        <span className="tool-duration">{entry.status === 'running' ? '…' : format_duration(entry.duration_ms)}</span>
      </div>
      {has_args && <div className="tool-args">{compact_json(entry.arguments, 120)}</div>}
      {(entry.status !== 'running' || has_args) && (
        <ToolOutput content={entry.content} error={entry.error} arguments={has_args ? entry.arguments : undefined} />
      )}
    </div>
  );
}
