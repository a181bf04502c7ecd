// SPDX-License-Identifier: Apache-2.0
// The preview page: an @remotion/player over the project's compositions, hot-reloaded by Vite.
// It talks to the window that embeds it (the atelier app) with postMessage; see docs/remotion.md.

import { Player, PlayerInternals, type PlayerRef } from '@remotion/player';
import React, { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Internals } from 'remotion';

declare const __ATELIER_BASE__: string;

type CompositionInfo = { id: string; durationInFrames: number; fps: number; width: number; height: number };
type Sequence = { name: string; from: number; durationInFrames: number; type: string; depth: number };
type AnyComposition = {
  id: string;
  durationInFrames?: number;
  fps?: number;
  width?: number;
  height?: number;
  component: React.ComponentType<Record<string, unknown>>;
  defaultProps?: Record<string, unknown>;
};

const kSource = 'atelier-preview';
const kHotUpdateEvent = 'atelier:hot-update';

function post(message: Record<string, unknown>): void {
  const target = window.parent !== window ? window.parent : window;
  target.postMessage({ source: kSource, ...message }, '*');
  // Tests and tools read the same messages without an embedding page.
  const log = ((window as unknown as { __atelierMessages?: unknown[] }).__atelierMessages ??= []);
  log.push({ source: kSource, ...message });
}

function describeError(error: unknown): { message: string; stack?: string } {
  if (error instanceof Error) {
    return { message: error.message, stack: error.stack };
  }
  if (error && typeof error === 'object' && 'message' in error) {
    const object = error as { message: unknown; stack?: unknown };
    return { message: String(object.message), stack: object.stack ? String(object.stack) : undefined };
  }
  return { message: String(error) };
}

let currentComposition: string | undefined;

let toldShown = false;

/** Tells the engine once that the first frame is on screen: it defers its render work until then. */
function tellShown(): void {
  if (!toldShown) {
    toldShown = true;
    fetch(`${__ATELIER_BASE__}__atelier/shown`, { method: 'POST', cache: 'no-store' }).catch(() => undefined);
  }
}

function postError(error: unknown): void {
  post({ type: 'error', ...describeError(error), composition: currentComposition });
}

// staticFile() prefixes paths with this, so public/ files resolve under the preview's base.
(window as unknown as { remotion_staticBase: string }).remotion_staticBase = __ATELIER_BASE__.replace(/\/$/, '');

window.addEventListener('error', (event) => postError(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => postError(event.reason));

class ErrorBoundary extends React.Component<{ children: React.ReactNode; resetKey: unknown }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  componentDidCatch(error: Error) {
    postError(error);
  }
  componentDidUpdate(previous: { resetKey: unknown }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) {
      this.setState({ error: null });
    }
  }
  render() {
    if (this.state.error) {
      return <ErrorView message={this.state.error.message} />;
    }
    return this.props.children;
  }
}

function ErrorView({ message }: { message: string }) {
  return (
    <pre data-atelier-error="" style={{ color: '#ff8a8a', padding: 16, whiteSpace: 'pre-wrap' }}>
      {message}
    </pre>
  );
}

function infoOf(composition: AnyComposition): CompositionInfo {
  return {
    id: composition.id,
    durationInFrames: composition.durationInFrames ?? 1,
    fps: composition.fps ?? 30,
    width: composition.width ?? 1920,
    height: composition.height ?? 1080,
  };
}

/** <AbsoluteFill> and <Img> register like sequences but place nothing in time. */
function placesInTime(sequence: Record<string, unknown>): boolean {
  return sequence.showInTimeline !== false && sequence.type !== 'image' && sequence.displayName !== '<AbsoluteFill>';
}

/**
 * The Player reports Remotion's registered sequences (PlayerInternals.TimelineSequenceObserverContext).
 * A nested sequence's `from` counts from its parent's start: made absolute here; depth counts only
 * the ancestors that are themselves on the timeline.
 */
function flattenSequences(raw: ReadonlyArray<Record<string, unknown>>): Sequence[] {
  const byId = new Map(raw.map((sequence) => [String(sequence.id), sequence]));
  const startOf = (sequence: Record<string, unknown>, seen = 0): { from: number; depth: number } => {
    const parent = sequence.parent ? byId.get(String(sequence.parent)) : undefined;
    if (!parent || seen > 50) {
      return { from: Number(sequence.from) || 0, depth: 0 };
    }
    const above = startOf(parent, seen + 1);
    return { from: above.from + (Number(sequence.from) || 0), depth: above.depth + (placesInTime(parent) ? 1 : 0) };
  };
  return raw
    .filter(placesInTime)
    .map((sequence) => {
      const { from, depth } = startOf(sequence);
      return {
        name: String(sequence.displayName ?? ''),
        from,
        durationInFrames: Number(sequence.duration) || 0,
        type: String(sequence.type ?? 'sequence'),
        depth,
      };
    })
    .sort((a, b) => a.from - b.from || a.depth - b.depth);
}

function CompositionsCollector({ onChange }: { onChange: (compositions: AnyComposition[]) => void }) {
  const { compositions } = useContext(Internals.CompositionManager) as unknown as { compositions: AnyComposition[] };
  useEffect(() => onChange(compositions), [compositions, onChange]);
  return null;
}

function wantedComposition(): string | undefined {
  return new URLSearchParams(window.location.search).get('composition') ?? undefined;
}

function Preview({ Root, generation }: { Root: React.ComponentType; generation: number }) {
  const [compositions, setCompositions] = useState<AnyComposition[]>([]);
  const [selected, setSelected] = useState<string | undefined>(wantedComposition);
  const player = useRef<PlayerRef>(null);
  const sequencesRef = useRef<Sequence[]>([]);
  const composition = compositions.find((c) => c.id === selected) ?? compositions[0];
  currentComposition = composition?.id;
  const info = composition ? infoOf(composition) : null;

  const postTimeline = useCallback(() => {
    if (info) {
      post({ type: 'timeline', composition: info.id, fps: info.fps, durationInFrames: info.durationInFrames, sequences: sequencesRef.current });
    }
  }, [info?.id, info?.fps, info?.durationInFrames]);

  const onSequences = useCallback(
    (raw: ReadonlyArray<Record<string, unknown>>) => {
      sequencesRef.current = flattenSequences(raw);
      postTimeline();
    },
    [postTimeline],
  );

  useEffect(() => {
    if (compositions.length > 0 && info) {
      post({ type: 'ready', compositions: compositions.map(infoOf), composition: info.id });
      postTimeline();
      tellShown();
    }
  }, [compositions, info?.id, generation]);

  // After every hot update the page says again what it shows (ready, timeline): an update that
  // fixed an error inside one component re-renders it without touching the compositions.
  useEffect(() => {
    const onHotUpdate = () => {
      if (compositions.length > 0 && info) {
        post({ type: 'ready', compositions: compositions.map(infoOf), composition: info.id });
        postTimeline();
      }
    };
    window.addEventListener(kHotUpdateEvent, onHotUpdate);
    return () => window.removeEventListener(kHotUpdateEvent, onHotUpdate);
  }, [compositions, info?.id, postTimeline]);

  // Messages from the embedding app.
  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { source?: string; type?: string; frame?: number; id?: string };
      if (!data || data.source !== 'atelier-app') {
        return;
      }
      if (data.type === 'seek' && typeof data.frame === 'number') {
        player.current?.seekTo(Math.max(0, Math.round(data.frame)));
      } else if (data.type === 'play') {
        player.current?.play();
      } else if (data.type === 'pause') {
        player.current?.pause();
      } else if (data.type === 'composition' && typeof data.id === 'string') {
        setSelected(data.id);
      }
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, []);

  // Frame reports while playing or seeking, at most every 100 ms.
  useEffect(() => {
    const current = player.current;
    if (!current) {
      return;
    }
    let last = 0;
    let pending: ReturnType<typeof setTimeout> | null = null;
    const onFrame = (event: { detail: { frame: number } }) => {
      const now = Date.now();
      if (pending) {
        clearTimeout(pending);
        pending = null;
      }
      if (now - last >= 100) {
        last = now;
        post({ type: 'frame', frame: event.detail.frame });
      } else {
        pending = setTimeout(() => {
          last = Date.now();
          post({ type: 'frame', frame: event.detail.frame });
        }, 100);
      }
    };
    current.addEventListener('frameupdate', onFrame);
    current.addEventListener('seeked', onFrame);
    return () => {
      current.removeEventListener('frameupdate', onFrame);
      current.removeEventListener('seeked', onFrame);
      if (pending) {
        clearTimeout(pending);
      }
    };
  }, [info?.id]);

  const errorFallback = useCallback(({ error }: { error: Error }) => {
    postError(error);
    return <ErrorView message={error.message} />;
  }, []);

  return (
    <>
      <Internals.CompositionManagerProvider
        onlyRenderComposition={null}
        currentCompositionMetadata={null}
        initialCompositions={[]}
        initialCanvasContent={null}
      >
        <CompositionsCollector onChange={setCompositions} />
        <Root />
      </Internals.CompositionManagerProvider>
      {composition && info ? (
        <PlayerInternals.TimelineSequenceObserverContext.Provider value={onSequences as never}>
          <Player
            key={info.id}
            ref={player}
            component={composition.component}
            inputProps={composition.defaultProps ?? {}}
            durationInFrames={info.durationInFrames}
            fps={info.fps}
            compositionWidth={info.width}
            compositionHeight={info.height}
            // The studio's bar plays, pauses and seeks (postMessage); a second set of controls
            // inside the player disagreed with it (issue 19, item 9).
            loop
            errorFallback={errorFallback}
            acknowledgeRemotionLicense
            style={{ width: '100%', height: '100%' }}
          />
        </PlayerInternals.TimelineSequenceObserverContext.Provider>
      ) : (
        <p style={{ padding: 16 }}>no compositions yet</p>
      )}
    </>
  );
}

const root = createRoot(document.getElementById('root')!);
let generation = 0;
let loaded = false;

function render(Root: React.ComponentType) {
  generation++;
  root.render(
    <ErrorBoundary resetKey={generation}>
      <Preview Root={Root} generation={generation} />
    </ErrorBoundary>,
  );
}

if (import.meta.hot) {
  import.meta.hot.on('vite:error', (payload: { err: { message: string; stack?: string } }) => {
    postError(payload.err);
  });
  import.meta.hot.on('vite:afterUpdate', () => {
    if (!loaded) {
      window.location.reload();
      return;
    }
    // React Refresh applies the new components on a short debounce after the modules ran.
    setTimeout(() => window.dispatchEvent(new Event(kHotUpdateEvent)), 100);
  });
}

async function loadProject() {
  try {
    await import('virtual:atelier-project-entry');
    loaded = true;
    Internals.waitForRoot((Root) => render(Root as React.ComponentType));
  } catch (error) {
    // The first load failed (a syntax error, a missing import): the server knows why.
    let reported: { message: string; stack?: string } | null = null;
    try {
      const response = await fetch(`${__ATELIER_BASE__}__atelier/last-error`, { cache: 'no-store' });
      reported = (await response.json()) as { message: string; stack?: string } | null;
    } catch {
      reported = null;
    }
    const shown = reported ?? describeError(error);
    postError(shown);
    root.render(<ErrorView message={shown.message} />);
  }
}

void loadProject();
