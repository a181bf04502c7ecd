// SPDX-License-Identifier: Apache-2.0
import type { CommandRun } from '../studio/session_state';
import { format_duration, short_rev, split_tool_name } from '../lib/format';
import { ToolOutput } from './tool_output';

interface Props {
  run: CommandRun;
  on_dismiss: () => void;
}

export function CommandRunView({ run, on_dismiss }: Props) {
  const status = run.status === 'running' ? 'running' : run.status;
  return (
    <div className={`tool-card ${status}`}>
      <div className="tool-head">
        <span className={`tool-icon ${status}`} role="img" aria-label={status} />
        <span className="tool-name">{split_tool_name(run.tool).tool}</span>
        {run.by && (
          <span className="tool-by" title={run.version ? `by ${run.by}, saved as version ${short_rev(run.version)}` : `by ${run.by}`}>
            by {run.by}
          </span>
        )}
        <span className="tool-duration">{run.status === 'running' ? '…' : run.by ? '' : format_duration(run.duration_ms)}</span>
        <button className="ghost small icon" onClick={on_dismiss} aria-label="Dismiss result" style={{ width: 24, height: 24 }}>
          ✕
        </button>
      </div>
      <ToolOutput content={run.content} error={run.error} data={run.data} />
    </div>
  );
}
