// SPDX-License-Identifier: Apache-2.0
import { useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { bar_layout, frame_at, playhead_percent, type PreviewSequence } from '../preview/preview_protocol';

interface Props {
  sequences: PreviewSequence[];
  duration: number;
  frame: number;
  fps: number;
  on_seek: (frame: number) => void;
  /// Space: play or pause (when the player is ready).
  on_toggle?: (() => void) | undefined;
}

/// One bar per sequence, placed by its start and length; a playhead at the current frame. Click or
/// drag to seek; with the keyboard, arrows step a frame (Shift: a second), Home/End jump.
export function PreviewTimeline({ sequences, duration, frame, fps, on_seek, on_toggle }: Props) {
  const track = useRef<HTMLDivElement>(null);

  const seek_to_pointer = (event: PointerEvent<HTMLDivElement>) => {
    const box = track.current?.getBoundingClientRect();
    if (!box || box.width <= 0) return;
    on_seek(frame_at((event.clientX - box.left) / box.width, duration));
  };

  const on_key_down = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = event.shiftKey ? Math.max(1, Math.round(fps)) : 1;
    const last = Math.max(0, duration - 1);
    const target =
      event.key === 'ArrowRight' ? Math.min(last, frame + step)
      : event.key === 'ArrowLeft' ? Math.max(0, frame - step)
      : event.key === 'Home' ? 0
      : event.key === 'End' ? last
      : undefined;
    if (target !== undefined) {
      event.preventDefault();
      on_seek(target);
    } else if (event.key === ' ' && on_toggle) {
      event.preventDefault();
      on_toggle();
    }
  };

  if (duration <= 0) {
    return <div className="timeline timeline-empty faint">The timeline appears when the player is ready.</div>;
  }
  return (
    <div className="timeline">
      <div
        className="timeline-track"
        ref={track}
        role="slider"
        tabIndex={0}
        aria-label="Timeline"
        aria-valuemin={0}
        aria-valuemax={duration - 1}
        aria-valuenow={frame}
        aria-valuetext={`frame ${frame} of ${duration}`}
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture?.(event.pointerId);
          seek_to_pointer(event);
        }}
        onPointerMove={(event) => {
          if (event.buttons === 1) seek_to_pointer(event);
        }}
        onKeyDown={on_key_down}
      >
        {sequences.length === 0 && <div className="timeline-row faint">no sequences</div>}
        {sequences.map((sequence, index) => {
          const layout = bar_layout(sequence, duration);
          return (
            <div className="timeline-row" key={`${sequence.name}-${index}`}>
              {layout && (
                <div
                  className="timeline-bar"
                  style={{ left: `${layout.left}%`, width: `${layout.width}%` }}
                  title={`${sequence.name || 'Sequence'}: frames ${sequence.from}–${sequence.from + sequence.durationInFrames - 1}`}
                  data-sequence={sequence.name}
                >
                  <span>{sequence.name || 'Sequence'}</span>
                </div>
              )}
            </div>
          );
        })}
        <div className="timeline-playhead" style={{ left: `${playhead_percent(frame, duration)}%` }} aria-hidden="true" />
      </div>
    </div>
  );
}
