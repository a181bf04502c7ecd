// SPDX-License-Identifier: Apache-2.0
import { useLayoutEffect, useRef } from 'react';
import type { ModelStatus } from '../api/projects';
import type { ChatState } from '../chat/chat_state';
import { ChatComposer } from './chat_composer';
import { ChatEntryView } from './chat_entry_view';
import { NoModelNotice } from './no_model_notice';

interface Props {
  chat: ChatState;
  on_send: (text: string) => void;
  on_cancel: () => void;
  /// What the hub said about its model at start (`GET /api/health`), before any message.
  model?: ModelStatus | undefined;
  /// The project's engine kind: the example prompt fits it.
  kind?: string | undefined;
}

/// The notice to show: the hub's answer to a message wins; before any, what health said.
export function no_model_message(chat: ChatState, model: ModelStatus | undefined): string | undefined {
  if (chat.no_model) return chat.no_model.message;
  if (model && !model.configured) return model.message ?? `No model is configured${model.reason ? `: ${model.reason}` : ''}.`;
  return undefined;
}

/// Within this many pixels of the bottom, the log follows new text; further up, the user is
/// reading and the log stays put.
const STICK_PX = 48;

export function ChatPanel({ chat, on_send, on_cancel, model, kind }: Props) {
  const log = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const element = log.current;
    if (element && stick.current) element.scrollTop = element.scrollHeight;
  }, [chat.entries]);

  const running = chat.turn !== 'idle';
  const notice = no_model_message(chat, model);
  return (
    <section className="panel" aria-label="Chat">
      <div className="panel-head">
        Chat
        {model?.configured && (
          <span className="faint chat-model" title={`model provider ${model.provider ?? ''}`}>
            {model.model ?? model.provider}
          </span>
        )}
        <span className="spacer" />
        {running && (
          <span className="row faint" style={{ textTransform: 'none', letterSpacing: 0, fontWeight: 400 }}>
            <span className="spinner" aria-hidden="true" />
            {chat.turn === 'cancelling' ? 'cancelling…' : chat.queue.length > 0 ? `working · ${chat.queue.length} queued` : 'working'}
          </span>
        )}
      </div>
      {notice && <NoModelNotice message={notice} />}
      <div
        className="chat-log"
        ref={log}
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        onScroll={(event) => {
          const element = event.currentTarget;
          stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < STICK_PX;
        }}
      >
        {chat.entries.length === 0 ? (
          <div className="chat-empty">
            <strong>Say what you want to make</strong>
            {kind === 'remotion'
              ? '“A 10-second intro: the title slides in over a dark gradient, then the logo fades up.” The agent writes the video’s code while you watch.'
              : '“A low-poly island at sunset, camera slowly orbiting.” The agent works in the engine while you watch.'}
          </div>
        ) : (
          chat.entries.map((entry) => <ChatEntryView key={entry.id} entry={entry} />)
        )}
      </div>
      <ChatComposer
        running={running}
        cancelling={chat.turn === 'cancelling'}
        on_send={on_send}
        on_cancel={on_cancel}
        blocked={notice ? 'Chat needs a model (see above); the tools work without one.' : undefined}
      />
    </section>
  );
}
