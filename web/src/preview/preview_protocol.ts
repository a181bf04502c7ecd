// SPDX-License-Identifier: Apache-2.0
import { clean_error_text } from './error_text';
/// The messages between the studio and the Remotion preview page in its iframe (a fixed
/// interface, issue #9). The page posts `{source: "atelier-preview", type, …}` to its parent; the
/// studio posts `{source: "atelier-app", type, …}` to the page. Only messages from the iframe's own
/// window and from this page's origin (the hub serves the preview under `/preview/<session>/`) are
/// read. Pure: no DOM.

export interface PreviewComposition {
  id: string;
  durationInFrames: number;
  fps: number;
  width: number;
  height: number;
}

export interface PreviewSequence {
  name: string;
  from: number;
  durationInFrames: number;
}

export type PreviewEvent =
  | { type: 'ready'; compositions: PreviewComposition[]; composition?: string }
  | { type: 'error'; message: string; stack?: string; composition?: string }
  | { type: 'timeline'; composition?: string; fps: number; durationInFrames: number; sequences: PreviewSequence[] }
  | { type: 'frame'; frame: number };

export type AppMessage =
  | { source: 'atelier-app'; type: 'seek'; frame: number }
  | { source: 'atelier-app'; type: 'composition'; id: string }
  | { source: 'atelier-app'; type: 'play' }
  | { source: 'atelier-app'; type: 'pause' };

export const PREVIEW_SOURCE = 'atelier-preview';
export const APP_SOURCE = 'atelier-app';

type Raw = Record<string, unknown>;

const is_number = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/// Same origin only: the preview is proxied by the hub, so anything else is another site.
export function origin_allowed(event_origin: string, page_origin: string): boolean {
  return event_origin === page_origin && event_origin !== 'null';
}

function composition_of(raw: unknown): PreviewComposition | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const c = raw as Raw;
  const id = text(c.id);
  if (!id || !is_number(c.durationInFrames) || !is_number(c.fps)) return undefined;
  return {
    id,
    durationInFrames: c.durationInFrames,
    fps: c.fps,
    width: is_number(c.width) ? c.width : 0,
    height: is_number(c.height) ? c.height : 0,
  };
}

function sequence_of(raw: unknown): PreviewSequence | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const s = raw as Raw;
  if (!is_number(s.from) || !is_number(s.durationInFrames)) return undefined;
  return { name: text(s.name) ?? '', from: s.from, durationInFrames: s.durationInFrames };
}

/// The event a message from the preview page carries, or null for anything else (other sources,
/// unknown types, malformed fields). Extra fields are ignored.
export function parse_preview_message(data: unknown): PreviewEvent | null {
  if (!data || typeof data !== 'object') return null;
  const m = data as Raw;
  if (m.source !== PREVIEW_SOURCE) return null;
  switch (m.type) {
    case 'ready': {
      const compositions = (Array.isArray(m.compositions) ? m.compositions : [])
        .map(composition_of)
        .filter((c): c is PreviewComposition => c !== undefined);
      const composition = text(m.composition);
      return { type: 'ready', compositions, ...(composition ? { composition } : {}) };
    }
    case 'error': {
      // Paths relative to the project, as the file tools take them; no server paths.
      const message = clean_error_text(text(m.message) ?? 'the preview failed');
      const raw_stack = text(m.stack);
      const stack = raw_stack ? clean_error_text(raw_stack) : undefined;
      const composition = text(m.composition);
      return { type: 'error', message, ...(stack ? { stack } : {}), ...(composition ? { composition } : {}) };
    }
    case 'timeline': {
      if (!is_number(m.durationInFrames)) return null;
      const sequences = (Array.isArray(m.sequences) ? m.sequences : [])
        .map(sequence_of)
        .filter((s): s is PreviewSequence => s !== undefined);
      const composition = text(m.composition);
      return {
        type: 'timeline',
        fps: is_number(m.fps) ? m.fps : 30,
        durationInFrames: m.durationInFrames,
        sequences,
        ...(composition ? { composition } : {}),
      };
    }
    case 'frame':
      return is_number(m.frame) ? { type: 'frame', frame: m.frame } : null;
    default:
      return null;
  }
}

export function seek_message(frame: number): AppMessage {
  return { source: APP_SOURCE, type: 'seek', frame };
}
export function composition_message(id: string): AppMessage {
  return { source: APP_SOURCE, type: 'composition', id };
}
export function playback_message(playing: boolean): AppMessage {
  return { source: APP_SOURCE, type: playing ? 'play' : 'pause' };
}

// ---- what the panel shows ----

export interface PreviewState {
  /// The page said `ready` since it was (re)loaded.
  ready: boolean;
  compositions: PreviewComposition[];
  composition?: string;
  timeline?: { composition?: string; fps: number; durationInFrames: number; sequences: PreviewSequence[] };
  frame: number;
  /// The page's last error, until a fix lands: the page is ready again after the project changed
  /// (or on another composition). A `ready` alone is not enough: after a syntax error the page
  /// re-announces the last good modules within ~100 ms, and the error must stay up.
  error?: { message: string; stack?: string; composition?: string };
  /// How often the project changed (the studio's count of `scene:updated`), and its value when the
  /// error came; whether the page was ready since the error.
  project_tick: number;
  error_tick?: number;
  /// The page said `ready` since the error (after a syntax error it re-announces the last good
  /// modules within ~100 ms, so a fix is a change after that).
  ready_since_error?: boolean;
}

export const initial_preview_state: PreviewState = { ready: false, compositions: [], frame: 0, project_tick: 0 };

export type PreviewAction =
  | { type: 'event'; event: PreviewEvent }
  | { type: 'reloaded' }
  | { type: 'select'; id: string }
  | { type: 'project_changed'; tick: number };

function without_error(state: PreviewState): PreviewState {
  const { error: _fixed, error_tick: _tick, ready_since_error: _ready, ...rest } = state;
  return rest;
}

export function preview_reducer(state: PreviewState, action: PreviewAction): PreviewState {
  if (action.type === 'reloaded') {
    return { ...initial_preview_state, project_tick: state.project_tick, ...(state.composition ? { composition: state.composition } : {}) };
  }
  if (action.type === 'project_changed') {
    if (action.tick === state.project_tick) return state;
    // Only a `ready` after a change clears an error. The breaking write's own change can reach the
    // studio after the page's error (the hub relays both): a change before the page was ready
    // again since the error is that echo, not a fix, and moves the error's mark with it.
    const echo = state.error !== undefined && !state.ready_since_error;
    return { ...state, project_tick: action.tick, ...(echo ? { error_tick: action.tick } : {}) };
  }
  if (action.type === 'select') {
    const { timeline: _old, ...rest } = state;
    return { ...rest, composition: action.id, frame: 0 };
  }
  const event = action.event;
  switch (event.type) {
    case 'ready': {
      const composition = event.composition ?? state.composition ?? event.compositions[0]?.id;
      const error = state.error;
      const fixed =
        !error ||
        (state.error_tick !== undefined && state.project_tick > state.error_tick) ||
        (error.composition !== undefined && composition !== undefined && error.composition !== composition);
      const base = fixed ? without_error(state) : { ...state, ready_since_error: true };
      return { ...base, ready: true, compositions: event.compositions, ...(composition ? { composition } : {}) };
    }
    case 'error': {
      const error = { message: event.message, ...(event.stack ? { stack: event.stack } : {}), ...(event.composition ? { composition: event.composition } : {}) };
      // The same error again (Vite reports a broken file once per reload) keeps its place.
      if (state.error && error_key(state.error) === error_key(error)) return state;
      return { ...state, error, error_tick: state.project_tick, ready_since_error: false };
    }
    case 'timeline': {
      const { type: _type, ...timeline } = event;
      return { ...state, timeline, ...(event.composition ? { composition: event.composition } : {}) };
    }
    case 'frame':
      return { ...state, frame: event.frame };
  }
}

/// The duration the timeline spans: the timeline's own, else the selected composition's.
export function timeline_duration(state: PreviewState): number {
  if (state.timeline && state.timeline.durationInFrames > 0) return state.timeline.durationInFrames;
  const composition = state.compositions.find((c) => c.id === state.composition);
  return composition?.durationInFrames ?? 0;
}

// ---- timeline math ----

/// Where a sequence's bar sits, in percent of the timeline's width; clipped to the composition
/// (a sequence may start before 0 or run past the end). Null when nothing of it is visible.
export function bar_layout(sequence: PreviewSequence, duration: number): { left: number; width: number } | null {
  if (duration <= 0) return null;
  const start = Math.max(0, sequence.from);
  const end = Math.min(duration, sequence.from + Math.max(0, sequence.durationInFrames));
  if (end <= start) return null;
  return { left: (start / duration) * 100, width: ((end - start) / duration) * 100 };
}

/// The frame under a click at `fraction` (0..1) of the timeline's width: frames are equal slots,
/// so the last slot is frame duration − 1.
export function frame_at(fraction: number, duration: number): number {
  if (duration <= 0) return 0;
  const clamped = Math.min(1, Math.max(0, fraction));
  return Math.min(duration - 1, Math.floor(clamped * duration));
}

/// The playhead's position in percent: the start of the frame's slot.
export function playhead_percent(frame: number, duration: number): number {
  if (duration <= 0) return 0;
  return (Math.min(Math.max(0, frame), duration) / duration) * 100;
}

/// "0:01.15" — seconds and frames, as video tools show a time.
export function timecode(frame: number, fps: number): string {
  if (fps <= 0) return String(frame);
  const whole = Math.max(0, Math.floor(frame));
  const seconds = Math.floor(whole / fps);
  const rest = whole - seconds * fps;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}.${String(Math.round(rest)).padStart(2, '0')}`;
}

/// Whether an error should go to the hub: not the same as the last one forwarded since the page
/// was last ready (a broken composition re-renders and repeats its error; the hub's automatic fix
/// must start once per problem, not per render).
export function should_forward(error: { message: string; composition?: string }, last_forwarded: string | undefined): boolean {
  return error_key(error) !== last_forwarded;
}

export function error_key(error: { message: string; composition?: string }): string {
  return `${error.composition ?? ''}\u0000${error.message}`;
}
