// SPDX-License-Identifier: Apache-2.0
import { useEffect, useState, type RefObject } from 'react';
import type { FrameInfo, FrameRenderer } from '../studio/frame_renderer';

interface Props {
  renderer: RefObject<FrameRenderer | null>;
  info: FrameInfo | undefined;
  /// The engine is working (a command, a camera move): only then is an old frame late. An idle
  /// scene sends no frames, and its last one is as current as it gets.
  expecting?: boolean;
}

const STALE_MS = 2000;

function format_age(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min`;
}

/// Frame age and fps, sampled four times a second so a 60 fps stream does not re-render React.
export function ViewportOverlay({ renderer, info, expecting = false }: Props) {
  const [sample, set_sample] = useState<{ fps: number; age?: number | undefined }>({ fps: 0 });
  useEffect(() => {
    const timer = setInterval(() => {
      const stats = renderer.current?.stats;
      if (!stats) return;
      const now = performance.now();
      set_sample({ fps: stats.fps(now), age: stats.age_ms(now) });
    }, 250);
    return () => clearInterval(timer);
  }, [renderer]);
  if (!info) return null;
  const stale = expecting && sample.age !== undefined && sample.age > STALE_MS;
  return (
    <div className="overlay" aria-hidden="true">
      <span>
        {info.width}×{info.height} {info.codec}
      </span>
      <span>{sample.fps} fps</span>
      {sample.age !== undefined && <span className={stale ? 'stale' : undefined}>{format_age(sample.age)} old</span>}
    </div>
  );
}
