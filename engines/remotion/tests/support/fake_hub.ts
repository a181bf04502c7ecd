// SPDX-License-Identifier: Apache-2.0
// A stand-in for the hub's /ws/engine side: accepts one engine, answers engine/hello, records
// every notification and sends requests. Tests of the engine alone use it; the hub tests use the
// real binary (tests/hub.test.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { engineDir } from './paths.js';

export type Message = { jsonrpc: '2.0'; id?: number | string | null; method?: string; params?: any; result?: any; error?: any };

export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export class FakeHub {
  readonly notifications: Message[] = [];
  hello: Message | null = null;
  /** Answer engine/hello with an error (a wrong launch token). */
  refuseHello = false;
  private server!: WebSocketServer;
  private http: Server | null = null;
  /** The request path of the engine's WebSocket upgrade. */
  upgradePath = '';
  private socket: WebSocket | null = null;
  private nextId = 1000;
  /** The id of the last request sent. */
  lastRequestId = 0;
  private pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  private waiters: Array<() => void> = [];
  closed = false;

  /** Listens on loopback TCP, or on the Unix socket `socketPath`; returns the /ws/engine URL. */
  async listen(socketPath = ''): Promise<string> {
    if (socketPath) {
      const http = createServer();
      await new Promise<void>((resolve) => http.listen(socketPath, () => resolve()));
      this.http = http;
      this.server = new WebSocketServer({ server: http, maxPayload: 64 * 1024 * 1024 });
    } else {
      this.server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
      await new Promise<void>((resolve) => this.server.once('listening', () => resolve()));
    }
    this.server.on('connection', (socket, request) => {
      this.upgradePath = request.url ?? '';
      this.socket = socket;
      this.closed = false;
      socket.on('message', (data) => this.receive(JSON.parse(data.toString()) as Message));
      socket.on('close', () => {
        this.closed = true;
        this.wake();
      });
    });
    if (socketPath) {
      return 'ws://127.0.0.1:9/ws/engine'; // nothing listens there: the socket must be used
    }
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws/engine`;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  private send(message: Message): void {
    this.socket?.send(JSON.stringify(message));
  }

  private receive(message: Message): void {
    if (message.method === 'engine/hello') {
      this.hello = message;
      if (this.refuseHello) {
        // As the hub does with a wrong token: an error response, then close code 1008.
        this.send({ jsonrpc: '2.0', id: message.id, error: { code: -32006, message: 'unauthorized: unknown launch token' } });
        this.socket?.close(1008, 'unauthorized');
        return;
      }
      this.send({ jsonrpc: '2.0', id: message.id, result: { engine_id: 'e1', session_id: '', protocol: 1, hub_version: 'fake' } });
    } else if (message.method) {
      this.notifications.push(message);
    } else if (typeof message.id === 'number' && this.pending.has(message.id)) {
      this.answeredAfter.set(message.id, this.notifications.length);
      const waiting = this.pending.get(message.id)!;
      this.pending.delete(message.id);
      if (message.error) {
        waiting.reject(new RpcFailure(message.error.code, message.error.message, message.error.data));
      } else {
        waiting.resolve(message.result);
      }
    }
    this.wake();
  }

  /** Resolves when `predicate` holds, checked after every message. */
  async until<T>(predicate: () => T | undefined | null | false, what: string, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) {
        return value;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  notification(method: string, after = 0): Message | undefined {
    return this.notifications.slice(after).find((message) => message.method === method);
  }

  /** How many notifications had arrived when the answer to each request id arrived. */
  readonly answeredAfter = new Map<number, number>();

  request(method: string, params: unknown): Promise<any> {
    const id = this.nextId++;
    this.lastRequestId = id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** tools/call with a fresh call id; returns the result or throws RpcFailure. */
  call(tool: string, args: Record<string, unknown> = {}, callId = `call-${this.nextId}`): Promise<any> {
    const [addon, name] = tool.split('__');
    return this.request('tools/call', { tool, addon, name, arguments: args, call_id: callId });
  }

  async close(): Promise<void> {
    this.socket?.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.http) {
      await new Promise<void>((resolve) => this.http!.close(() => resolve()));
    }
  }
}

/** A copy of the project template in a fresh temporary directory. */
export function makeProject(prefix = 'remotion-project-'): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(path.join(engineDir, 'template'), directory, { recursive: true });
  return directory;
}

export type EngineProcess = { child: ChildProcess; exited: Promise<number | null>; stderr: () => string };

/** Starts dist/src/main.js the way the hub does. */
export function startEngine(hubUrl: string, workdir: string, sessionId: string, extraArgs: string[] = [], env: Record<string, string> = {}): EngineProcess {
  const child = spawn(process.execPath, [path.join(engineDir, 'dist', 'src', 'main.js'), ...extraArgs], {
    cwd: workdir,
    env: {
      ...process.env,
      ATELIER_HUB_URL: hubUrl,
      ATELIER_ENGINE_TOKEN: 'launch-test',
      ATELIER_SESSION_ID: sessionId,
      ATELIER_WORKDIR: workdir,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}
