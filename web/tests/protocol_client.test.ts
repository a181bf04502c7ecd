// SPDX-License-Identifier: Apache-2.0
import { beforeEach, describe, expect, it } from 'vitest';
import { ProtocolClient, ProtocolError, browser_socket_url, type ConnectionState } from '../src/protocol/protocol_client';
import { encode_frame } from '../src/protocol/frame_header';
import { FakeSocket, FakeTimers } from './fake_socket';

let sockets: FakeSocket[];
let timers: FakeTimers;
let client: ProtocolClient;
let random: number;

function latest(): FakeSocket {
  const socket = sockets[sockets.length - 1];
  if (!socket) throw new Error('no socket opened');
  return socket;
}

beforeEach(() => {
  sockets = [];
  timers = new FakeTimers();
  random = 0.5;
  client = new ProtocolClient({
    url: 'ws://hub/ws/browser',
    socket_factory: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    timers,
    random: () => random,
    request_timeout_ms: 5000,
  });
});

describe('ProtocolClient', () => {
  it('sends envelopes with type, id and payload and asks for binary as ArrayBuffer', () => {
    client.start();
    latest().open();
    const id = client.send('message:send', { text: 'hi' });
    expect(latest().binaryType).toBe('arraybuffer');
    expect(latest().sent_messages()).toEqual([{ type: 'message:send', id, payload: { text: 'hi' } }]);
  });

  it('resolves a request with the reply whose re matches, not with other messages', async () => {
    client.start();
    latest().open();
    const first = client.request('command:send', { tool: 'a', arguments: {} });
    const second = client.request('command:send', { tool: 'b', arguments: {} });
    latest().receive({ type: 'command:result', id: 'x1', re: 'someone-else', payload: {} });
    latest().receive({ type: 'command:result', id: 'x2', re: second.id, payload: { tool: 'b' } });
    latest().receive({ type: 'command:result', id: 'x3', re: first.id, payload: { tool: 'a' } });
    await expect(first.reply).resolves.toMatchObject({ re: first.id, payload: { tool: 'a' } });
    await expect(second.reply).resolves.toMatchObject({ re: second.id, payload: { tool: 'b' } });
  });

  it('rejects a request with the code and message of an error reply', async () => {
    client.start();
    latest().open();
    const { id, reply } = client.request('command:send', { tool: 'a', arguments: {} });
    latest().receive({ type: 'error', re: id, payload: { code: 'invalid_arguments', message: '/size: must be >= 0' } });
    await expect(reply).rejects.toMatchObject({ code: 'invalid_arguments', message: '/size: must be >= 0' });
  });

  it('rejects a request with timeout when no reply comes', async () => {
    client.start();
    latest().open();
    const { reply } = client.request('command:send', {}, { timeout_ms: 1000 });
    timers.advance(999);
    let settled = false;
    reply.catch(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    timers.advance(1);
    await expect(reply).rejects.toBeInstanceOf(ProtocolError);
    await expect(reply).rejects.toMatchObject({ code: 'timeout' });
  });

  it('fails sent requests when the socket drops, instead of leaving them hanging', async () => {
    client.start();
    latest().open();
    const { reply } = client.request('command:send', {});
    latest().drop();
    await expect(reply).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('still delivers replies to message listeners', () => {
    const seen: string[] = [];
    client.on_message((m) => seen.push(m.type));
    client.start();
    latest().open();
    const { id } = client.request('command:send', {});
    latest().receive({ type: 'command:result', re: id, payload: {} });
    latest().receive({ type: 'agent:message', payload: { delta: 'x' } });
    expect(seen).toEqual(['command:result', 'agent:message']);
  });

  it('ignores malformed text frames', () => {
    const seen: unknown[] = [];
    client.on_message((m) => seen.push(m));
    client.start();
    latest().open();
    latest().receive('not json');
    latest().receive('{"payload": {}}');
    expect(seen).toEqual([]);
  });

  it('hands binary frames to binary listeners', () => {
    const frames: ArrayBuffer[] = [];
    client.on_binary((data) => frames.push(data));
    client.start();
    latest().open();
    const frame = encode_frame({ seq: 1, width: 2, height: 2, codec: 'jpeg' }, new Uint8Array([1]));
    latest().receive(frame);
    expect(frames).toEqual([frame]);
  });

  it('reconnects with exponential backoff and jitter, each delay within its bounds', () => {
    const states: ConnectionState[] = [];
    client.on_state((s) => states.push(s));
    client.start();
    const expected_ceilings = [500, 1000, 2000, 4000, 8000, 10_000, 10_000];
    const delays: number[] = [];
    for (const [attempt, ceiling] of expected_ceilings.entries()) {
      random = attempt % 2 === 0 ? 0 : 0.999;
      latest().drop();
      const [delay] = timers.pending();
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
      delays.push(delay!);
      timers.advance(delay!);
      expect(sockets).toHaveLength(attempt + 2);
    }
    expect(delays).toEqual([250, 1000, 1000, 3998, 4000, 9995, 5000]);
    expect(states.filter((s) => s.kind === 'waiting').map((s) => (s.kind === 'waiting' ? s.attempt : 0))).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
  });

  it('starts the backoff over after a successful open', () => {
    client.start();
    latest().drop();
    timers.advance(10_000);
    latest().drop();
    expect(timers.pending()[0]).toBeGreaterThanOrEqual(500);
    timers.advance(10_000);
    latest().open();
    latest().drop();
    expect(timers.pending()[0]).toBeLessThanOrEqual(500);
  });

  it('runs open hooks before flushing messages queued while offline', () => {
    client.on_open(() => client.send('session:start', { project_id: 'p', session_id: 's' }));
    client.start();
    client.send('message:send', { text: 'queued' });
    client.send('viewport:camera', { action: 'orbit', dx: 1, dy: 0, delta: 0 }, { queue: false });
    latest().open();
    expect(latest().sent_messages().map((m) => m.type)).toEqual(['session:start', 'message:send']);
  });

  it('re-attaches on every reconnect', () => {
    client.on_open(() => client.send('session:start', { project_id: 'p', session_id: 's' }));
    client.start();
    latest().open();
    latest().drop();
    timers.advance(10_000);
    latest().open();
    expect(sockets.map((s) => s.sent_messages().map((m) => m.type))).toEqual([['session:start'], ['session:start']]);
  });

  it('does not fail requests that were still queued when a connection attempt failed', async () => {
    client.start();
    const { id, reply } = client.request('command:send', {});
    latest().drop();
    timers.advance(600);
    latest().open();
    latest().receive({ type: 'command:result', re: id, payload: { ok: true } });
    await expect(reply).resolves.toMatchObject({ re: id });
  });

  it('stops for good on stop()', async () => {
    client.start();
    latest().open();
    const { reply } = client.request('command:send', {});
    client.stop();
    await expect(reply).rejects.toMatchObject({ code: 'closed' });
    expect(timers.pending()).toEqual([]);
    expect(client.connection_state()).toEqual({ kind: 'closed' });
  });

  it('reconnects at once when asked, skipping the wait', () => {
    client.start();
    latest().drop();
    expect(sockets).toHaveLength(1);
    client.reconnect_now();
    expect(sockets).toHaveLength(2);
    expect(timers.pending()).toEqual([]);
  });
});

describe('browser_socket_url', () => {
  it('uses the page host and ws or wss', () => {
    expect(browser_socket_url({ protocol: 'http:', host: '127.0.0.1:8420' })).toBe('ws://127.0.0.1:8420/ws/browser');
    expect(browser_socket_url({ protocol: 'https:', host: 'studio.example' })).toBe('wss://studio.example/ws/browser');
  });
});
