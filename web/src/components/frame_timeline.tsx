// SPDX-License-Identifier: Apache-2.0
import { useEffect, useRef, useState } from 'react';

interface Props {
  range: [number, number];
  fps?: number | undefined;
  /// Goes to a frame (`animation__set_frame`); resolves when the engine is there.
  on_frame: (frame: number) => Promise<unknown>;
  /// Play started (true) or ended (false): the panel shows the frames in solid shading meanwhile.
  on_play?: (playing: boolean) => void;
  disabled?: boolean;
}

/// The animation's frame range under the Blender viewport: drag the playhead and let go to go to
/// that frame (each `set_frame` is a step the engine renders), step one frame at a time, or Play:
/// a quick preview that steps through the frames as fast as the engine draws them in solid
/// shading (at most the scene's frame rate), looping, until Stop returns to the frame it began at.
export function FrameTimeline({ range, fps, on_frame, on_play, disabled = false }: Props) {
  const [start, end] = range;
  const [frame, set_frame] = useState(start);
  const [shown, set_shown] = useState(start);
  const [busy, set_busy] = useState(false);
  const [playing, set_playing] = useState(false);
  const playing_ref = useRef(false);
  // Leaving the studio stops the preview.
  useEffect(
    () => () => {
      playing_ref.current = false;
    },
    [],
  );

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

  const play = async () => {
    if (playing_ref.current) return;
    playing_ref.current = true;
    set_playing(true);
    on_play?.(true);
    const began_at = shown;
    const step_ms = 1000 / (fps && fps > 0 ? fps : 24);
    let current = shown;
    try {
      while (playing_ref.current) {
        const next = current >= end || current < start ? start : current + 1;
        const asked = performance.now();
        await on_frame(next);
        current = next;
        set_frame(next);
        set_shown(next);
        // Never faster than the animation's own rate; slower when the engine needs longer.
        const rest = step_ms - (performance.now() - asked);
        if (rest > 0 && playing_ref.current) await new Promise((resolve) => setTimeout(resolve, rest));
      }
      // Stop: back to where the preview began, as Blender's Esc does.
      await on_frame(began_at);
      set_frame(began_at);
      set_shown(began_at);
    } catch {
      // The engine went away or refused a frame: the preview stops where it was.
      set_frame(current);
    } finally {
      playing_ref.current = false;
      set_playing(false);
      on_play?.(false);
    }
  };

  const seconds = fps ? ((frame - start) / fps).toFixed(2) : undefined;
  const locked = disabled || busy || playing;
  return (
    <div className={`frame-timeline${playing ? ' playing' : ''}`} role="group" aria-label="Timeline">
      <button className="ghost small icon" onClick={() => void go(start)} disabled={locked} aria-label="First frame" title="First frame">
        ⇤
      </button>
      <button className="ghost small icon" onClick={() => void go(frame - 1)} disabled={locked || frame <= start} aria-label="Previous frame" title="Previous frame">
        ◂
      </button>
      {playing ? (
        <button
          className="small icon play-button"
          onClick={() => {
            playing_ref.current = false;
          }}
          aria-label="Stop"
          title="Stop and return to the frame the preview began at"
        >
          ■
        </button>
      ) : (
        <button className="small icon play-button" onClick={() => void play()} disabled={disabled || busy} aria-label="Play" title="Play a quick preview (solid shading)">
          ▶
        </button>
      )}
      <button className="ghost small icon" onClick={() => void go(frame + 1)} disabled={locked || frame >= end} aria-label="Next frame" title="Next frame">
        ▸
      </button>
      <input
        type="range"
        min={start}
        max={end}
        step={1}
        value={frame}
        disabled={disabled || playing}
        aria-label="Frame"
        aria-valuetext={`frame ${frame} of ${start} to ${end}`}
        onChange={(event) => set_frame(Number(event.target.value))}
        onPointerUp={(event) => void go(Number((event.target as HTMLInputElement).value))}
        onKeyUp={(event) => {
          if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'].includes(event.key)) void go(Number((event.target as HTMLInputElement).value));
        }}
      />
      <span className="mono faint frame-timeline-label">
        {frame} / {start}–{end}
        {seconds !== undefined && <span className="frame-timeline-seconds">{` · ${seconds} s`}</span>}
        {playing ? ' · solid preview' : busy ? ' …' : ''}
      </span>
    </div>
  );
}
