// SPDX-License-Identifier: Apache-2.0
// Property-style tests of the engine's hub link (src/hub_link.ts) with malformed frames (issue 22
// §1): a real WebSocket on loopback plays the hub and sends generated frames — valid requests
// mutated byte by byte, truncated, spliced with JSON tokens, random bytes and text, nesting far
// deeper than any real message — each followed by a `ping` request. The generator is seeded
// (ATELIER_PROPERTY_SEED, default 22) and failures name the frame. Properties: the link answers
// every request exactly once with its id and nothing else; a frame that is not JSON gets one
// parse error (-32700) with id null, JSON that is not an object one invalid-request error
// (-32600); the link stays open and answers the next ping; responses to the engine's own
// requests settle the matching request only, whatever their shape.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { HubLink } from '../src/hub_link.js';
import { RpcCode, RpcError } from '../src/rpc_error.js';

const SEED = Number(process.env.ATELIER_PROPERTY_SEED ?? '22');
const RUNS = 600;

/** mulberry32: a small seeded generator, so a failing frame can be produced again. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID_FRAMES = [
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"remotion__write_file","arguments":{"path":"a"}}}',
  '{"jsonrpc":"2.0","method":"$/cancel","params":{"call_id":"7"}}',
  '{"jsonrpc":"2.0","id":"s","method":"project/save","params":{}}',
  '{"jsonrpc":"2.0","id":3,"result":{"ok":true}}',
  '{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"no"}}',
];
const TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', '"id"', '"method"', '"params"', '"result"', '"error"', 'null',
  'true', '-0', '1e999', '\\ud800', '\u0000', '\u2028', '"__proto__"', '"constructor"'];

function mutate(random: () => number, frame: string): string {
  let text = frame;
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (text.length + 1));
    const choice = Math.floor(random() * 4);
    if (choice === 0) {
      text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x3000)) + text.slice(at + 1);
    } else if (choice === 1) {
      text = text.slice(0, at);
    } else if (choice === 2) {
      text = text.slice(0, at) + TOKENS[Math.floor(random() * TOKENS.length)] + text.slice(at);
    } else {
      const from = Math.floor(random() * (text.length + 1));
      text = text.slice(0, at) + text.slice(from, from + Math.floor(random() * 16)) + text.slice(at);
    }
  }
  return text;
}

function malformedFrames(random: () => number): string[] {
  const frames: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    frames.push(mutate(random, VALID_FRAMES[Math.floor(random() * VALID_FRAMES.length)]));
  }
  for (let i = 0; i < RUNS / 10; i++) {
    let text = '';
    const length = Math.floor(random() * 64);
    for (let j = 0; j < length; j++) {
      text += String.fromCharCode(Math.floor(random() * 0x500));
    }
    frames.push(text);
  }
  for (const depth of [1_000, 100_000]) {
    frames.push('['.repeat(depth) + ']'.repeat(depth));
    frames.push(`{"jsonrpc":"2.0","id":"deep${depth}","method":"m","params":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  }
  frames.push('', ' ', 'null', '42', '"text"', '[]', '{}', '{"id":null,"method":"m"}', '{"id":{},"method":"m"}',
    '{"id":[1],"method":"m"}', '{"id":true,"method":"m"}', '{"method":"m","params":5}', '{"method":"m","params":null}',
    '{"id":9,"method":"__proto__"}', '{"__proto__":{"method":"m"},"id":10}');
  return frames;
}

type Parsed = { ok: true; value: unknown } | { ok: false };
function parse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** What the link must answer to `frame`: nothing, one error with a code, or one reply with an id. */
function expectedReply(frame: string): { kind: 'none' } | { kind: 'error'; code: number } | { kind: 'reply'; id: unknown } {
  const parsed = parse(frame);
  if (!parsed.ok) {
    return { kind: 'error', code: RpcCode.ParseError };
  }
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'error', code: RpcCode.InvalidRequest };
  }
  const message = value as Record<string, unknown>;
  if (typeof message.method === 'string' && message.id !== undefined && message.id !== null) {
    return { kind: 'reply', id: message.id };
  }
  return { kind: 'none' };
}

/** The hub side: one engine socket, every text frame it sends, and a way to wait for a given one. */
class PlayedHub {
  server!: WebSocketServer;
  socket: WebSocket | null = null;
  received: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  private onConnection: () => void = () => undefined;
  /** Resolves once the engine's socket is accepted. */
  readonly connected = new Promise<void>((resolve) => {
    this.onConnection = resolve;
  });

  async listen(): Promise<string> {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => this.server.once('listening', () => resolve()));
    this.server.on('connection', (socket) => {
      this.socket = socket;
      this.onConnection();
      socket.on('message', (data) => {
        this.received.push(JSON.parse(data.toString()));
        this.waiters.splice(0).forEach((wake) => wake());
      });
    });
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws/engine`;
  }

  /** Resolves when a received message satisfies `test`; rejects after `ms` naming `what`. */
  async waitFor(test: (message: Record<string, unknown>) => boolean, what: string, ms = 10_000): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const index = this.received.findIndex(test);
      if (index >= 0) {
        return index;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${what} within ${ms} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

describe('hub link with malformed frames', () => {
  const hub = new PlayedHub();
  let engineLink: HubLink;
  let closedWith: number | null = null;

  before(async () => {
    const url = await hub.listen();
    engineLink = new HubLink(url);
    const random = generator(SEED + 1);
    engineLink.onRequest = async (method) => {
      if (method === 'ping') {
        return { pong: true };
      }
      const outcome = Math.floor(random() * 3);
      if (outcome === 0) {
        throw new RpcError(RpcCode.InvalidParams, 'bad params');
      }
      if (outcome === 1) {
        throw new Error('a handler bug');
      }
      return { method };
    };
    engineLink.onNotification = () => undefined;
    engineLink.onClose = (code) => {
      closedWith = code;
    };
    await engineLink.connect();
    await hub.connected;
  });

  after(() => {
    engineLink.close();
    hub.server.close();
  });

  it('answers every request exactly once with its id, refuses non-JSON and non-objects, and keeps serving', async () => {
    const frames = malformedFrames(generator(SEED));
    let requests = 0;
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index];
      const sentinel = `ping-${index}`;
      const start = hub.received.length;
      hub.socket!.send(frame);
      hub.socket!.send(JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'ping' }));
      const at = await hub.waitFor((message) => message.id === sentinel, `answer to the ping after ${JSON.stringify(frame).slice(0, 200)}`);
      assert.deepEqual(hub.received[at].result, { pong: true });
      const replies = hub.received.slice(start, at);
      assert.equal(hub.received.length, at + 1, 'nothing after the ping answer');
      hub.received.length = 0;
      const expected = expectedReply(frame);
      const where = `frame ${JSON.stringify(frame).slice(0, 200)}: replies ${JSON.stringify(replies).slice(0, 300)}`;
      if (expected.kind === 'none') {
        assert.equal(replies.length, 0, where);
      } else if (expected.kind === 'error') {
        assert.equal(replies.length, 1, where);
        assert.equal(replies[0].id, null, where);
        assert.equal((replies[0].error as { code: number }).code, expected.code, where);
      } else {
        requests++;
        assert.equal(replies.length, 1, where);
        assert.deepEqual(replies[0].id, expected.id, where);
        assert.equal(('result' in replies[0] ? 1 : 0) + ('error' in replies[0] ? 1 : 0), 1, where);
      }
    }
    assert.ok(requests > 10, `only ${requests} of the frames were requests: the generator is too destructive`);
    assert.equal(closedWith, null, 'the link stayed open');
  });

  it("settles the engine's own request only with a response of its id, whatever the response's shape", async () => {
    const random = generator(SEED + 2);
    const shapes: Array<(id: unknown) => unknown> = [
      (id) => ({ jsonrpc: '2.0', id, result: null }),
      (id) => ({ jsonrpc: '2.0', id }),
      (id) => ({ id, error: 5 }),
      (id) => ({ id, error: {} }),
      (id) => ({ id, error: { code: 'x', message: 7 } }),
      (id) => ({ id, result: { nested: [[[[]]]] }, error: null }),
      (id) => ({ id, error: null }),
    ];
    for (let round = 0; round < 60; round++) {
      const outcome = engineLink.request('engine/probe', { round }, 10_000).then(
        (value) => ({ settled: 'resolved', value }),
        (error: unknown) => ({ settled: 'rejected', error }),
      );
      const at = await hub.waitFor((message) => message.method === 'engine/probe', 'the engine request');
      const id = hub.received[at].id as number;
      hub.received.length = 0;
      // Responses with a near-miss id first (the string form, another number, null): none may settle it.
      for (const wrong of [String(id), id + 1000, null]) {
        hub.socket!.send(JSON.stringify(shapes[Math.floor(random() * shapes.length)](wrong)));
      }
      const shape = shapes[Math.floor(random() * shapes.length)];
      let settledEarly = false;
      void outcome.then(() => {
        settledEarly = true;
      });
      // A ping round trip orders the wrong responses before the right one.
      hub.socket!.send(JSON.stringify({ jsonrpc: '2.0', id: `order-${round}`, method: 'ping' }));
      await hub.waitFor((message) => message.id === `order-${round}`, 'the ordering ping');
      hub.received.length = 0;
      assert.equal(settledEarly, false, `round ${round}: a response with another id settled the request`);
      hub.socket!.send(JSON.stringify(shape(id)));
      const result = await outcome;
      assert.ok(result.settled === 'resolved' || ('error' in result && result.error instanceof RpcError),
        `round ${round}: ${JSON.stringify(shape(id))} settled as ${JSON.stringify(result)}`);
    }
    assert.equal(closedWith, null, 'the link stayed open');
  });
});
