// SPDX-License-Identifier: Apache-2.0
import type { ChatEntry } from '../chat/chat_state';
import { format_duration, short_rev } from '../lib/format';
import { ToolCallCard } from './tool_call_card';

interface Props {
  entry: ChatEntry;
}

export function ChatEntryView({ entry }: Props) {
  switch (entry.kind) {
    case 'user':
      return (
        <div className={`msg user ${entry.status}`}>
          {entry.text}
          {entry.status === 'queued' && <span className="msg-status">queued</span>}
          {entry.status === 'failed' && <span className="msg-status">not sent{entry.error ? `: ${entry.error}` : ''}</span>}
          {entry.status === 'cancelled' && <span className="msg-status">cancelled before it ran</span>}
        </div>
      );
    case 'assistant':
      return (
        <div className="msg assistant">
          {entry.text}
          {entry.streaming && <span className="cursor" aria-hidden="true" />}
        </div>
      );
    case 'tool':
      return <ToolCallCard entry={entry} />;
    case 'retry':
      return (
        <div className="retry-line" role="status">
          <span aria-hidden="true">↻</span>
          <span>
            Retrying the model
            {entry.attempt !== undefined ? ` (attempt ${entry.attempt}${entry.max_attempts ? ` of ${entry.max_attempts}` : ''})` : ''}
            {entry.delay_ms ? ` in ${format_duration(entry.delay_ms)}` : ''} — {entry.reason}
          </span>
        </div>
      );
    case 'notice':
      return (
        <div className={`chat-notice ${entry.tone === 'error' ? 'error-notice' : 'dim'}`} role={entry.tone === 'error' ? 'alert' : undefined}>
          <div>
            {entry.text} {entry.code && entry.code !== 'preview_error' && <code>{entry.code}</code>}
          </div>
          {entry.pre && <pre className="code-frame">{entry.pre}</pre>}
          {entry.detail && <div className="chat-notice-detail">{entry.detail}</div>}
        </div>
      );
    case 'auto_fix':
      return (
        <div className="chat-auto-fix" role="status" title="The hub started this turn to fix an error of the preview">
          automatic fix{entry.fix !== undefined ? ` ${entry.fix}${entry.max_fixes ? ` of ${entry.max_fixes}` : ''}` : ''}
        </div>
      );
    case 'turn_end':
      return (
        <div className="turn-end">
          {entry.cancelled ? 'cancelled' : 'done'}
          {entry.version ? ` · version ${short_rev(entry.version)}` : ''}
          {entry.output_tokens !== undefined ? ` · ${entry.output_tokens} tokens` : ''}
        </div>
      );
  }
}
