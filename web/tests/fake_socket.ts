// SPDX-License-Identifier: Apache-2.0
import type { SocketLike, Timers } from '../src/protocol/protocol_client';

/// A WebSocket stand-in the test drives by hand.
export class FakeSocket implements SocketLike {
  binaryType = 'blob';
  readyState = 0;
  sent: string[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed = { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) };
    this.readyState = 3;
  }

  // Test side.
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: typeof message === 'string' || message instanceof ArrayBuffer ? message : JSON.stringify(message) });
  }
  sent_messages(): { type: string; id: string; payload: unknown }[] {
    return this.sent.map((s) => JSON.parse(s));
  }
}

/// Manual clock: timers fire only when the test advances time.
export class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  set_timeout(callback: () => void, ms: number): unknown {
    const handle = this.next++;
    this.timers.set(handle, { at: this.now + ms, callback });
    return handle;
  }
  clear_timeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /// Delays of the timers now pending, soonest first.
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.now).sort((a, b) => a - b);
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = until;
  }
}
