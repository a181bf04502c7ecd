// SPDX-License-Identifier: Apache-2.0
import { useState } from 'react';

interface Props {
  range: [number, number];
  fps?: number | undefined;
  /// Goes to a frame (`animation__set_frame`); resolves when the engine is there.
  on_frame: (frame: number) => Promise<unknown>;
  disabled?: boolean;
}

/// The animation's frame range under the Blender viewport: drag the playhead and let go to go to
/// that frame (each `set_frame` is a step the engine renders), or step one frame at a time.
export function FrameTimeline({ range, fps, on_frame, disabled = false }: Props) {
  const [start, end] = range;
  const [frame, set_frame] = useState(start);
  const [shown, set_shown] = useState(start);
  const [busy, set_busy] = useState(false);

  const go = async (target: number) => {
    const clamped = Math.min(end, Math.max(start, Math.round(target)));
    set_frame(clamped);
    set_busy(true);
    try {
      await on_frame(clamped);
      set_shown(clamped);
    } catch {
      set_frame(shown);
    } finally {
      set_busy(false);
    }
  };

  const seconds = fps ? ((frame - start) / fps).toFixed(2) : undefined;
  return (
    <div className="frame-timeline" role="group" aria-label="Timeline">
      <button className="ghost small icon" onClick={() => void go(start)} disabled={disabled || busy} aria-label="First frame" title="First frame">
        ⇤
      </button>
      <button className="ghost small icon" onClick={() => void go(frame - 1)} disabled={disabled || busy || frame <= start} aria-label="Previous frame" title="Previous frame">
        ◀
      </button>
      <input
        type="range"
        min={start}
        max={end}
        step={1}
        value={frame}
        disabled={disabled}
        aria-label="Frame"
        aria-valuetext={`frame ${frame} of ${start} to ${end}`}
        onChange={(event) => set_frame(Number(event.target.value))}
        onPointerUp={(event) => void go(Number((event.target as HTMLInputElement).value))}
        onKeyUp={(event) => {
          if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'].includes(event.key)) void go(Number((event.target as HTMLInputElement).value));
        }}
      />
      <button className="ghost small icon" onClick={() => void go(frame + 1)} disabled={disabled || busy || frame >= end} aria-label="Next frame" title="Next frame">
        ▶
      </button>
      <span className="mono faint frame-timeline-label">
        {frame} / {start}–{end}
        {seconds !== undefined ? ` · ${seconds} s` : ''}
        {busy ? ' …' : ''}
      </span>
    </div>
  );
}
