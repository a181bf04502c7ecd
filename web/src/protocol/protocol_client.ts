// SPDX-License-Identifier: Apache-2.0
import { backoff_delay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import type { Envelope, ErrorBody } from './messages';
import { new_id } from '../lib/ids';

/// The part of the WebSocket API the client uses, so tests can hand it a fake.
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface Timers {
  set_timeout(callback: () => void, ms: number): unknown;
  clear_timeout(handle: unknown): void;
}

const real_timers: Timers = {
  set_timeout: (callback, ms) => setTimeout(callback, ms),
  clear_timeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const OPEN = 1;

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; delay_ms: number; reason: string }
  | { kind: 'closed' };

/// A request failed: the hub answered with `error`, no reply came in time, or the socket dropped.
export class ProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly body?: ErrorBody,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface ProtocolClientOptions {
  url: string;
  socket_factory?: (url: string) => SocketLike;
  timers?: Timers;
  random?: () => number;
  backoff?: BackoffPolicy;
  request_timeout_ms?: number;
  /// Messages kept while disconnected and sent after the next open (oldest dropped beyond this).
  outbox_limit?: number;
}

export interface SendOptions {
  /// Keep the message while disconnected and send it after reconnecting (default true). Camera
  /// moves pass false: stale moves are worse than none.
  queue?: boolean;
}

export interface RequestOptions {
  timeout_ms?: number;
}

interface Pending {
  resolve: (reply: Envelope) => void;
  reject: (error: ProtocolError) => void;
  timer: unknown;
  type: string;
  /// False while the request waits in the outbox: a drop then does not fail it.
  sent: boolean;
}

type MessageListener = (message: Envelope) => void;
type BinaryListener = (data: ArrayBuffer) => void;
type StateListener = (state: ConnectionState) => void;
type OpenHook = () => void;

/// One WebSocket to /ws/browser that survives drops: it reconnects with exponential backoff and
/// jitter, runs the open hooks first on every (re)connect (the studio re-sends `session:start`
/// there), then flushes what was queued while offline. Requests are correlated with replies by
/// `re` and fail after a timeout instead of hanging.
export class ProtocolClient {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private reconnect_timer: unknown = null;
  private stopped = true;
  private readonly pending = new Map<string, Pending>();
  private outbox: { id: string; text: string }[] = [];
  private readonly message_listeners = new Set<MessageListener>();
  private readonly binary_listeners = new Set<BinaryListener>();
  private readonly state_listeners = new Set<StateListener>();
  private readonly open_hooks = new Set<OpenHook>();
  private state: ConnectionState = { kind: 'closed' };

  private readonly factory: (url: string) => SocketLike;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly request_timeout_ms: number;
  private readonly outbox_limit: number;

  constructor(private readonly options: ProtocolClientOptions) {
    this.factory = options.socket_factory ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.timers = options.timers ?? real_timers;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.request_timeout_ms = options.request_timeout_ms ?? 30_000;
    this.outbox_limit = options.outbox_limit ?? 200;
  }

  connection_state(): ConnectionState {
    return this.state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.open_socket();
  }

  /// Closes for good: no reconnect; pending requests fail with `closed`.
  stop(): void {
    this.stopped = true;
    if (this.reconnect_timer !== null) {
      this.timers.clear_timeout(this.reconnect_timer);
      this.reconnect_timer = null;
    }
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
      socket.close(1000, 'client closed');
    }
    this.fail_pending('closed', 'the connection was closed');
    this.outbox = [];
    this.set_state({ kind: 'closed' });
  }

  /// Connects now instead of waiting for the next backoff step (the "retry" button).
  reconnect_now(): void {
    if (this.stopped) return;
    if (this.reconnect_timer !== null) {
      this.timers.clear_timeout(this.reconnect_timer);
      this.reconnect_timer = null;
      this.open_socket();
    }
  }

  on_message(listener: MessageListener): () => void {
    this.message_listeners.add(listener);
    return () => this.message_listeners.delete(listener);
  }

  on_binary(listener: BinaryListener): () => void {
    this.binary_listeners.add(listener);
    return () => this.binary_listeners.delete(listener);
  }

  on_state(listener: StateListener): () => void {
    this.state_listeners.add(listener);
    return () => this.state_listeners.delete(listener);
  }

  /// Runs on every successful open, before queued messages are flushed.
  on_open(hook: OpenHook): () => void {
    this.open_hooks.add(hook);
    return () => this.open_hooks.delete(hook);
  }

  /// Sends a message and returns its id. Nothing waits for a reply.
  send(type: string, payload: unknown = {}, options: SendOptions = {}): string {
    const id = new_id();
    this.transmit(id, JSON.stringify({ type, id, payload }), options.queue ?? true);
    return id;
  }

  /// Sends a message and resolves with the first message whose `re` is its id; an `error` reply
  /// rejects with the hub's code and message.
  request(type: string, payload: unknown = {}, options: RequestOptions = {}): { id: string; reply: Promise<Envelope> } {
    const id = new_id();
    const reply = new Promise<Envelope>((resolve, reject) => {
      const timeout_ms = options.timeout_ms ?? this.request_timeout_ms;
      const timer = this.timers.set_timeout(() => {
        this.pending.delete(id);
        reject(new ProtocolError('timeout', `no reply to ${type} within ${Math.round(timeout_ms / 1000)} s`));
      }, timeout_ms);
      this.pending.set(id, { resolve, reject, timer, type, sent: false });
    });
    this.transmit(id, JSON.stringify({ type, id, payload }), true);
    return { id, reply };
  }

  private transmit(id: string, text: string, queue: boolean): void {
    if (this.socket && this.socket.readyState === OPEN && this.state.kind === 'open') {
      this.socket.send(text);
      this.mark_sent(id);
      return;
    }
    if (!queue) return;
    this.outbox.push({ id, text });
    if (this.outbox.length > this.outbox_limit) this.outbox.shift();
  }

  private mark_sent(id: string): void {
    const pending = this.pending.get(id);
    if (pending) pending.sent = true;
  }

  private open_socket(): void {
    this.set_state({ kind: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.factory(this.options.url);
    } catch (error) {
      this.schedule_reconnect(error instanceof Error ? error.message : 'cannot open the connection');
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.set_state({ kind: 'open' });
      for (const hook of this.open_hooks) hook();
      const queued = this.outbox;
      this.outbox = [];
      for (const { id, text } of queued) {
        socket.send(text);
        this.mark_sent(id);
      }
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.dispatch(event.data);
    };
    socket.onerror = () => {
      // The close event follows and carries what there is to know.
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // A request whose socket dropped may or may not have reached the hub: fail it so the UI
      // can say so, rather than replaying a command twice.
      this.fail_pending('disconnected', 'the connection to the hub dropped', { only_sent: true });
      if (this.stopped) return;
      const reason = event.reason || (event.code === 1006 ? 'connection lost' : `closed (${event.code})`);
      this.schedule_reconnect(reason);
    };
  }

  private schedule_reconnect(reason: string): void {
    const delay_ms = backoff_delay(this.attempt, this.backoff, this.random);
    this.attempt += 1;
    this.set_state({ kind: 'waiting', attempt: this.attempt, delay_ms, reason });
    this.reconnect_timer = this.timers.set_timeout(() => {
      this.reconnect_timer = null;
      if (!this.stopped) this.open_socket();
    }, delay_ms);
  }

  private dispatch(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      for (const listener of this.binary_listeners) listener(data);
      return;
    }
    if (typeof data !== 'string') return;
    let message: Envelope;
    try {
      message = JSON.parse(data) as Envelope;
    } catch {
      return;
    }
    if (!message || typeof message.type !== 'string') return;
    if (message.re) {
      const pending = this.pending.get(message.re);
      if (pending) {
        this.pending.delete(message.re);
        this.timers.clear_timeout(pending.timer);
        if (message.type === 'error') {
          const body = (message.payload ?? {}) as ErrorBody;
          pending.reject(new ProtocolError(body.code ?? 'error', body.message ?? 'the hub reported an error', body));
        } else {
          pending.resolve(message);
        }
      }
    }
    // Replies are broadcast too: the chat and tool panels render results from the stream.
    for (const listener of this.message_listeners) listener(message);
  }

  private fail_pending(code: string, message: string, { only_sent = false } = {}): void {
    for (const [id, pending] of this.pending) {
      if (only_sent && !pending.sent) continue;
      this.timers.clear_timeout(pending.timer);
      pending.reject(new ProtocolError(code, `${pending.type}: ${message}`));
      this.pending.delete(id);
    }
  }

  private set_state(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.state_listeners) listener(state);
  }
}

/// The /ws/browser URL on the page's own host (the hub serves the app and the socket on one port).
export function browser_socket_url(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/browser`;
}
