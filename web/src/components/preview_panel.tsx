// SPDX-License-Identifier: Apache-2.0
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import {
  composition_message,
  error_key,
  initial_preview_state,
  origin_allowed,
  parse_preview_message,
  playback_message,
  preview_reducer,
  seek_message,
  should_forward,
  timecode,
  timeline_duration,
  type AppMessage,
} from '../preview/preview_protocol';
import { split_error } from '../preview/error_text';
import { PreviewTimeline } from './preview_timeline';

export interface PreviewError {
  message: string;
  stack?: string;
  composition?: string;
}

interface Props {
  /// The preview page (`/preview/<session>/`); nothing while the engine's preview server starts.
  url: string | undefined;
  /// Changes when the hub says the preview server (re)started: the page is loaded again.
  reload_key: number;
  /// What to say while there is no page.
  placeholder: string;
  /// An error the page reported (each distinct one once until the page is ready again).
  on_error: (error: PreviewError) => void;
  /// The engine's own report (`preview:error` from the hub), shown until the page is ready after it.
  engine_error?: PreviewError | undefined;
  /// Counts the project's changes (`scene:updated`): an error is over when the page is ready after one.
  project_tick?: number;
  /// Told the error shown over the player whenever it changes (the code editor puts it at its line).
  on_shown_error?: ((error: PreviewError | undefined) => void) | undefined;
}

/// A Remotion project's viewport: the live player page in an iframe, a composition picker and
/// play/pause above it, the composition's sequences as a timeline below it (click to seek).
export function PreviewPanel({ url, reload_key, placeholder, on_error, engine_error, project_tick = 0, on_shown_error }: Props) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [state, dispatch] = useReducer(preview_reducer, initial_preview_state);
  const [playing, set_playing] = useState(false);
  const last_forwarded = useRef<string | undefined>(undefined);
  /// The engine error the page has since recovered from (it said `ready` after it).
  const [recovered_from, set_recovered_from] = useState<PreviewError | undefined>(undefined);
  /// The composition the user picked: a reloaded page starts on its default, so it is asked again.
  const wanted = useRef<string | undefined>(undefined);
  const engine_error_ref = useRef(engine_error);
  engine_error_ref.current = engine_error;

  useEffect(() => {
    const on_message = (event: MessageEvent) => {
      // Only the iframe's own page, and only from this origin (the hub proxies the preview).
      if (!frame.current || event.source !== frame.current.contentWindow) return;
      if (!origin_allowed(event.origin, window.location.origin)) return;
      const parsed = parse_preview_message(event.data);
      if (!parsed) return;
      dispatch({ type: 'event', event: parsed });
      if (parsed.type === 'ready') {
        set_recovered_from(engine_error_ref.current);
        const again = wanted.current;
        if (again && again !== parsed.composition && parsed.compositions.some((c) => c.id === again)) {
          frame.current?.contentWindow?.postMessage(composition_message(again), window.location.origin);
          dispatch({ type: 'select', id: again });
        }
      }
      if (parsed.type === 'error' && should_forward(parsed, last_forwarded.current)) {
        last_forwarded.current = error_key(parsed);
        const { type: _type, ...error } = parsed;
        on_error(error);
      }
    };
    window.addEventListener('message', on_message);
    return () => window.removeEventListener('message', on_message);
  }, [on_error]);

  useEffect(() => {
    dispatch({ type: 'project_changed', tick: project_tick });
  }, [project_tick]);

  // An error is forwarded once until it is over (not again after the page's quick `ready`).
  useEffect(() => {
    if (!state.error) last_forwarded.current = undefined;
  }, [state.error]);

  useEffect(() => {
    dispatch({ type: 'reloaded' });
    set_playing(false);
    last_forwarded.current = undefined;
  }, [url, reload_key]);

  const post = useCallback((message: AppMessage) => {
    frame.current?.contentWindow?.postMessage(message, window.location.origin);
  }, []);

  const seek = useCallback(
    (target: number) => {
      post(seek_message(target));
      dispatch({ type: 'event', event: { type: 'frame', frame: target } });
    },
    [post],
  );

  const toggle = () => {
    post(playback_message(!playing));
    set_playing(!playing);
  };

  const duration = timeline_duration(state);
  const fps = state.timeline?.fps ?? state.compositions.find((c) => c.id === state.composition)?.fps ?? 30;
  const current = state.compositions.find((c) => c.id === state.composition);
  // A bundling error of the engine comes first: while it lasts, what the page shows is stale.
  const shown_error = engine_error && engine_error !== recovered_from ? engine_error : state.error;
  useEffect(() => {
    on_shown_error?.(shown_error);
  }, [shown_error, on_shown_error]);

  return (
    <div className="preview">
      <div className="preview-bar">
        <label className="preview-picker">
          <span className="faint preview-picker-label" aria-hidden="true">
            Composition
          </span>
          <select
            aria-label="Composition"
            value={state.composition ?? ''}
            disabled={state.compositions.length === 0}
            onChange={(event) => {
              wanted.current = event.target.value;
              dispatch({ type: 'select', id: event.target.value });
              post(composition_message(event.target.value));
            }}
          >
            {state.compositions.length === 0 && <option value="">—</option>}
            {state.compositions.map((c) => (
              <option key={c.id} value={c.id}>
                {c.id}
              </option>
            ))}
          </select>
        </label>
        <button className="small" onClick={toggle} disabled={!state.ready} aria-pressed={playing} title={playing ? 'Pause' : 'Play'}>
          {playing ? '❚❚ Pause' : '▶ Play'}
        </button>
        <span className="faint mono preview-time" aria-live="off">
          {timecode(state.frame, fps)} · frame {state.frame}
          {duration > 0 ? ` / ${duration}` : ''}
          {current ? ` · ${current.width}×${current.height} · ${fps} fps` : ''}
        </span>
      </div>
      <div className={`preview-stage${shown_error ? ' broken' : ''}`}>
        {url ? (
          <iframe key={`${url}#${reload_key}`} ref={frame} src={url} title="Remotion preview" />
        ) : (
          <div className="viewport-placeholder">{placeholder}</div>
        )}
        {url && !state.ready && !shown_error && (
          <div className="preview-loading" role="status">
            <span className="spinner" aria-hidden="true" />
            Loading the preview…
          </div>
        )}
        {shown_error && (
          <div className="preview-error" role="alert">
            <strong>The preview failed{shown_error.composition ? ` (${shown_error.composition})` : ''}</strong>
            <span>{split_error(shown_error.message).headline}</span>
            {split_error(shown_error.message).detail && <pre className="code-frame">{split_error(shown_error.message).detail}</pre>}
            {shown_error.stack && (
              <details>
                <summary>Stack</summary>
                <pre>{shown_error.stack}</pre>
              </details>
            )}
          </div>
        )}
      </div>
      <PreviewTimeline
        sequences={state.timeline?.sequences ?? []}
        duration={duration}
        frame={state.frame}
        fps={fps}
        on_seek={seek}
        on_toggle={state.ready ? toggle : undefined}
      />
    </div>
  );
}
