// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import {
  bar_layout,
  composition_message,
  error_key,
  frame_at,
  initial_preview_state,
  origin_allowed,
  parse_preview_message,
  playback_message,
  playhead_percent,
  preview_reducer,
  seek_message,
  should_forward,
  timecode,
  timeline_duration,
  type PreviewEvent,
} from '../src/preview/preview_protocol';

const compositions = [
  { id: 'Intro', durationInFrames: 150, fps: 30, width: 1280, height: 720 },
  { id: 'Outro', durationInFrames: 60, fps: 30, width: 1280, height: 720 },
];

describe('parse_preview_message', () => {
  it('reads the four messages of the preview page', () => {
    expect(parse_preview_message({ source: 'atelier-preview', type: 'ready', compositions, composition: 'Intro' })).toEqual({
      type: 'ready',
      compositions,
      composition: 'Intro',
    });
    expect(parse_preview_message({ source: 'atelier-preview', type: 'error', message: 'x is not defined', stack: 'at A', composition: 'Intro' })).toEqual({
      type: 'error',
      message: 'x is not defined',
      stack: 'at A',
      composition: 'Intro',
    });
    expect(
      parse_preview_message({
        source: 'atelier-preview',
        type: 'timeline',
        composition: 'Intro',
        fps: 30,
        durationInFrames: 150,
        sequences: [{ name: 'Title', from: 0, durationInFrames: 60 }],
      }),
    ).toEqual({ type: 'timeline', composition: 'Intro', fps: 30, durationInFrames: 150, sequences: [{ name: 'Title', from: 0, durationInFrames: 60 }] });
    expect(parse_preview_message({ source: 'atelier-preview', type: 'frame', frame: 42 })).toEqual({ type: 'frame', frame: 42 });
  });

  it('ignores other sources, unknown types and malformed fields', () => {
    expect(parse_preview_message({ source: 'react-devtools', type: 'frame', frame: 1 })).toBeNull();
    expect(parse_preview_message({ type: 'frame', frame: 1 })).toBeNull();
    expect(parse_preview_message({ source: 'atelier-preview', type: 'explode' })).toBeNull();
    expect(parse_preview_message({ source: 'atelier-preview', type: 'frame', frame: '3' })).toBeNull();
    expect(parse_preview_message({ source: 'atelier-preview', type: 'timeline', sequences: [] })).toBeNull();
    expect(parse_preview_message('atelier-preview')).toBeNull();
    expect(parse_preview_message(null)).toBeNull();
  });

  it('drops malformed compositions and sequences but keeps the good ones', () => {
    const ready = parse_preview_message({ source: 'atelier-preview', type: 'ready', compositions: [compositions[0], { id: 'Bad' }, 7] });
    expect(ready).toEqual({ type: 'ready', compositions: [compositions[0]] });
    const timeline = parse_preview_message({
      source: 'atelier-preview',
      type: 'timeline',
      durationInFrames: 90,
      sequences: [{ name: 'A', from: 0, durationInFrames: 30 }, { name: 'B', from: 'x' }],
    });
    expect(timeline).toEqual({ type: 'timeline', fps: 30, durationInFrames: 90, sequences: [{ name: 'A', from: 0, durationInFrames: 30 }] });
  });
});

describe('origin_allowed', () => {
  it('accepts only the page origin', () => {
    expect(origin_allowed('http://127.0.0.1:8420', 'http://127.0.0.1:8420')).toBe(true);
    expect(origin_allowed('http://127.0.0.1:5173', 'http://127.0.0.1:8420')).toBe(false);
    expect(origin_allowed('https://evil.example', 'http://127.0.0.1:8420')).toBe(false);
    expect(origin_allowed('null', 'null')).toBe(false);
  });
});

describe('messages to the page', () => {
  it('carry the app source', () => {
    expect(seek_message(12)).toEqual({ source: 'atelier-app', type: 'seek', frame: 12 });
    expect(composition_message('Outro')).toEqual({ source: 'atelier-app', type: 'composition', id: 'Outro' });
    expect(playback_message(true)).toEqual({ source: 'atelier-app', type: 'play' });
    expect(playback_message(false)).toEqual({ source: 'atelier-app', type: 'pause' });
  });
});

function run(events: PreviewEvent[]) {
  return events.reduce((state, event) => preview_reducer(state, { type: 'event', event }), initial_preview_state);
}

describe('preview_reducer', () => {
  it('selects the composition the page names, else its first', () => {
    expect(run([{ type: 'ready', compositions, composition: 'Outro' }]).composition).toBe('Outro');
    expect(run([{ type: 'ready', compositions }]).composition).toBe('Intro');
  });

  it('keeps an error until the page is ready again after the project changed', () => {
    const broken = run([{ type: 'ready', compositions }, { type: 'error', message: 'boom', composition: 'Intro' }]);
    expect(broken.error).toEqual({ message: 'boom', composition: 'Intro' });
    expect(preview_reducer(broken, { type: 'event', event: { type: 'frame', frame: 3 } }).error).toBeDefined();
    // The page re-announces the last good modules right after a syntax error: still broken.
    const flashed = preview_reducer(broken, { type: 'event', event: { type: 'ready', compositions } });
    expect(flashed.error).toBeDefined();
    // The same error again (Vite reloads the file twice) changes nothing.
    expect(preview_reducer(flashed, { type: 'event', event: { type: 'error', message: 'boom', composition: 'Intro' } })).toBe(flashed);
    // A fix lands: the project changed (after the page's re-announce), then the page is ready.
    const changed = preview_reducer(flashed, { type: 'project_changed', tick: 1 });
    expect(changed.error).toBeDefined();
    expect(preview_reducer(changed, { type: 'event', event: { type: 'ready', compositions } }).error).toBeUndefined();
    // A change alone is not a fix: the page must say it is ready after it.
    expect(preview_reducer(flashed, { type: 'project_changed', tick: 1 }).error).toBeDefined();
  });

  it('takes a change that arrives after the error, before any ready, for the breaking write’s own', () => {
    const broken = run([{ type: 'ready', compositions }, { type: 'error', message: 'boom', composition: 'Intro' }]);
    const echoed = preview_reducer(broken, { type: 'project_changed', tick: 1 });
    const flashed = preview_reducer(echoed, { type: 'event', event: { type: 'ready', compositions } });
    expect(flashed.error).toBeDefined();
    const fixed = preview_reducer(preview_reducer(flashed, { type: 'project_changed', tick: 2 }), { type: 'event', event: { type: 'ready', compositions } });
    expect(fixed.error).toBeUndefined();
  });

  it('drops an error of one composition when the page is ready on another', () => {
    const broken = run([{ type: 'ready', compositions }, { type: 'error', message: 'boom', composition: 'Intro' }]);
    expect(preview_reducer(broken, { type: 'event', event: { type: 'ready', compositions, composition: 'Outro' } }).error).toBeUndefined();
  });

  it('takes the timeline duration from the timeline, else the composition', () => {
    const ready = run([{ type: 'ready', compositions, composition: 'Outro' }]);
    expect(timeline_duration(ready)).toBe(60);
    const timed = preview_reducer(ready, { type: 'event', event: { type: 'timeline', fps: 30, durationInFrames: 75, sequences: [] } });
    expect(timeline_duration(timed)).toBe(75);
  });

  it('choosing a composition drops the old timeline and rewinds; a reload forgets all but the choice', () => {
    const state = run([
      { type: 'ready', compositions },
      { type: 'timeline', fps: 30, durationInFrames: 150, sequences: [{ name: 'A', from: 0, durationInFrames: 10 }] },
      { type: 'frame', frame: 40 },
    ]);
    const chosen = preview_reducer(state, { type: 'select', id: 'Outro' });
    expect(chosen.timeline).toBeUndefined();
    expect(chosen.frame).toBe(0);
    expect(chosen.composition).toBe('Outro');
    const reloaded = preview_reducer(chosen, { type: 'reloaded' });
    expect(reloaded).toEqual({ ...initial_preview_state, composition: 'Outro' });
  });
});

describe('timeline math', () => {
  it('places a bar by its start and length', () => {
    expect(bar_layout({ name: 'A', from: 30, durationInFrames: 60 }, 120)).toEqual({ left: 25, width: 50 });
    expect(bar_layout({ name: 'A', from: 0, durationInFrames: 120 }, 120)).toEqual({ left: 0, width: 100 });
  });

  it('clips bars to the composition and hides what is outside it', () => {
    expect(bar_layout({ name: 'A', from: -30, durationInFrames: 60 }, 120)).toEqual({ left: 0, width: 25 });
    expect(bar_layout({ name: 'A', from: 90, durationInFrames: 60 }, 120)).toEqual({ left: 75, width: 25 });
    expect(bar_layout({ name: 'A', from: 130, durationInFrames: 10 }, 120)).toBeNull();
    expect(bar_layout({ name: 'A', from: 0, durationInFrames: 0 }, 120)).toBeNull();
    expect(bar_layout({ name: 'A', from: 0, durationInFrames: 10 }, 0)).toBeNull();
  });

  it('maps a click to the frame whose slot it hits, within 0..duration-1', () => {
    expect(frame_at(0, 100)).toBe(0);
    expect(frame_at(0.5, 100)).toBe(50);
    expect(frame_at(0.999, 100)).toBe(99);
    expect(frame_at(1, 100)).toBe(99);
    expect(frame_at(-0.2, 100)).toBe(0);
    expect(frame_at(1.5, 100)).toBe(99);
    expect(frame_at(0.5, 0)).toBe(0);
  });

  it('puts the playhead at the start of the frame slot, clamped', () => {
    expect(playhead_percent(25, 100)).toBe(25);
    expect(playhead_percent(-3, 100)).toBe(0);
    expect(playhead_percent(500, 100)).toBe(100);
    expect(playhead_percent(5, 0)).toBe(0);
  });

  it('a click at a playhead position lands on that frame', () => {
    for (const frame of [0, 1, 37, 99]) expect(frame_at(playhead_percent(frame, 100) / 100 + 0.001, 100)).toBe(frame);
  });

  it('writes time codes as minutes, seconds and frames', () => {
    expect(timecode(0, 30)).toBe('0:00.00');
    expect(timecode(45, 30)).toBe('0:01.15');
    expect(timecode(30 * 61 + 2, 30)).toBe('1:01.02');
  });
});

describe('should_forward', () => {
  it('forwards an error once until it changes', () => {
    const error = { message: 'x is not defined', composition: 'Intro' };
    expect(should_forward(error, undefined)).toBe(true);
    expect(should_forward(error, error_key(error))).toBe(false);
    expect(should_forward({ ...error, message: 'y is not defined' }, error_key(error))).toBe(true);
    expect(should_forward({ ...error, composition: 'Outro' }, error_key(error))).toBe(true);
  });
});
