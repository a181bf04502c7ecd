// SPDX-License-Identifier: Apache-2.0
import { useEffect, useRef, useState, type RefObject } from 'react';
import type { ProtocolClient } from '../protocol/protocol_client';
import { configure_payload, same_payload, type Shading, type ViewMode, type ViewportConfigurePayload } from './viewport_settings';

/// A resize settles before the engine is asked for another frame size (a window drag fires many).
const SETTLE_MS = 150;

/// Keeps the engine's viewport in step with the panel: its size (so the frame has the panel's
/// aspect and fills it), the shading and the view. Sent when one of them changes and again for each
/// new session or engine (`live` turning true), answered by `ack` or an `error` whose message is
/// returned for the toolbar to show.
export function use_viewport_configure(
  element: RefObject<HTMLElement | null>,
  client: ProtocolClient,
  live: boolean,
  session_id: string | undefined,
  shading: Shading,
  view: ViewMode,
): { error?: string | undefined; sent?: ViewportConfigurePayload | undefined } {
  const [size, set_size] = useState<{ width: number; height: number } | undefined>(undefined);
  const [error, set_error] = useState<string | undefined>(undefined);
  const [sent, set_sent] = useState<ViewportConfigurePayload | undefined>(undefined);
  const last = useRef<{ session_id: string; payload: ViewportConfigurePayload } | undefined>(undefined);

  useEffect(() => {
    const target = element.current;
    if (!target) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const measure = () => set_size({ width: target.clientWidth, height: target.clientHeight });
    const observer = new ResizeObserver(() => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(measure, SETTLE_MS);
    });
    observer.observe(target);
    measure();
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      observer.disconnect();
    };
  }, [element]);

  useEffect(() => {
    // An engine that is not ready (starting, restarting, gone) gets everything again once it is.
    if (!live || !session_id) {
      last.current = undefined;
      return;
    }
    const payload = size ? configure_payload(size.width, size.height, shading, view) : undefined;
    if (!payload) return;
    if (last.current?.session_id === session_id && same_payload(last.current.payload, payload)) return;
    last.current = { session_id, payload };
    set_sent(payload);
    const { reply } = client.request('viewport:configure', payload, { timeout_ms: 30_000 });
    reply.then(
      () => set_error(undefined),
      (failure: unknown) => {
        set_error(failure instanceof Error ? failure.message : String(failure));
        // Asked again at the next change, not repeated now: the engine said no to this one.
      },
    );
  }, [client, live, session_id, size, shading, view]);

  return { error, sent };
}
