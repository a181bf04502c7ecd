// SPDX-License-Identifier: Apache-2.0
import { useEffect, useState } from 'react';
import { banner_for } from '../studio/session_banner_content';
import type { SessionView } from '../studio/session_state';

interface Props {
  view: SessionView;
  on_retry: () => void;
}

export function SessionBanner({ view, on_retry }: Props) {
  // The reconnect countdown needs a clock; it ticks only while the client waits to reconnect.
  const [elapsed, set_elapsed] = useState(0);
  useEffect(() => {
    set_elapsed(0);
    if (view.connection.kind !== 'waiting') return;
    const started = Date.now();
    const timer = setInterval(() => set_elapsed(Date.now() - started), 250);
    return () => clearInterval(timer);
  }, [view.connection]);
  const content = banner_for(view, elapsed);
  if (!content) return null;
  return (
    <div className={`banner ${content.tone}`} role="status" aria-live="polite">
      {content.busy && <span className="spinner" aria-hidden="true" />}
      <span className="title">{content.title}</span>
      {content.detail && <span className="detail" title={content.detail}>{content.detail}</span>}
      {content.retry && (
        <button className="small" onClick={on_retry}>
          {content.retry}
        </button>
      )}
    </div>
  );
}
