// SPDX-License-Identifier: Apache-2.0
import type { SessionView } from './session_state';

export type Tone = 'info' | 'warn' | 'error';

export interface BannerContent {
  tone: Tone;
  busy: boolean;
  title: string;
  detail?: string | undefined;
  retry?: string;
}

/// What to tell the user about the connection and the engine, or null when all is well.
/// `elapsed_ms`: time since the client started waiting to reconnect.
export function banner_for(view: SessionView, elapsed_ms: number): BannerContent | null {
  const { connection, status, fatal, restoring } = view;
  if (restoring !== undefined && connection.kind === 'open') {
    return { tone: 'info', busy: true, title: `Restoring “${restoring}”…`, detail: 'the engine opens that version' };
  }
  if (fatal) return { tone: 'error', busy: false, title: 'The session could not start', detail: `${fatal.message} (${fatal.code})`, retry: 'Try again' };
  if (connection.kind === 'waiting') {
    const seconds = Math.max(0, Math.ceil((connection.delay_ms - elapsed_ms) / 1000));
    return {
      tone: 'warn',
      busy: false,
      title: `Connection to the hub lost — reconnecting${seconds > 0 ? ` in ${seconds} s` : '…'}`,
      detail: `attempt ${connection.attempt} · ${connection.reason}`,
      retry: 'Reconnect now',
    };
  }
  if (connection.kind === 'connecting') return { tone: 'info', busy: true, title: 'Connecting to the hub…' };
  if (connection.kind === 'closed') return null;
  const attempts = status.attempt !== undefined ? ` (attempt ${status.attempt}${status.max_attempts ? ` of ${status.max_attempts}` : ''})` : '';
  switch (status.state) {
    case 'starting':
      return { tone: 'info', busy: true, title: 'Starting the engine…', detail: status.detail };
    case 'engine_lost':
    case 'reconnecting':
      return { tone: 'warn', busy: true, title: `The engine stopped — restarting${attempts}`, detail: status.detail };
    case 'lost':
      return { tone: 'error', busy: false, title: 'The engine could not be restarted', detail: status.detail, retry: 'Retry' };
    case 'ended':
      return { tone: 'info', busy: false, title: 'This session has ended', detail: status.detail, retry: 'Start again' };
    default:
      return null;
  }
}
