// SPDX-License-Identifier: Apache-2.0
import { useRef, useState, type KeyboardEvent } from 'react';

interface Props {
  running: boolean;
  cancelling: boolean;
  on_send: (text: string) => void;
  on_cancel: () => void;
  /// Why nothing can be sent (no model): Send is disabled with this beside it.
  blocked?: string | undefined;
}

/// Enter sends, Shift+Enter is a newline, Esc cancels the running turn. Messages sent while a
/// turn runs are queued by the hub (and shown as queued).
export function ChatComposer({ running, cancelling, on_send, on_cancel, blocked }: Props) {
  const [text, set_text] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);

  const send = () => {
    const value = text.trim();
    if (!value || blocked) return;
    on_send(value);
    set_text('');
    input.current?.focus();
  };

  const on_key_down = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'Escape' && running) {
      event.preventDefault();
      on_cancel();
    }
  };

  return (
    <div className="composer">
      <label className="sr-only" htmlFor="chat-input">
        Message
      </label>
      <textarea
        id="chat-input"
        ref={input}
        value={text}
        onChange={(event) => set_text(event.target.value)}
        onKeyDown={on_key_down}
        placeholder={running ? 'Add a message — it runs after this turn' : 'Describe what you want…'}
        rows={3}
      />
      <div className="composer-bar">
        {blocked ? (
          <span className="composer-hint composer-blocked" id="composer-blocked">
            {blocked}
          </span>
        ) : (
          <span className="composer-hint">
            <span className="kbd">⏎</span> send · <span className="kbd">⇧⏎</span> newline · <span className="kbd">Esc</span> cancel
          </span>
        )}
        <span className="spacer" />
        <button className="small danger" onClick={on_cancel} disabled={!running || cancelling} title="Cancel the running turn (Esc)">
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
        <button className="small primary" onClick={send} disabled={!text.trim() || !!blocked} aria-describedby={blocked ? 'composer-blocked' : undefined}>
          {running ? 'Queue' : 'Send'}
        </button>
      </div>
    </div>
  );
}
