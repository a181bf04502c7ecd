// SPDX-License-Identifier: Apache-2.0
// The engine's WebSocket to the hub: JSON-RPC 2.0 in text frames, one message per frame.
// Requests from the hub go to one handler; its result or RpcError becomes the response.

import WebSocket from 'ws';
import { RpcCode, RpcError } from './rpc_error.js';

export type RequestHandler = (method: string, params: Record<string, unknown>) => Promise<unknown>;
export type NotificationHandler = (method: string, params: Record<string, unknown>) => void;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

export class HubLink {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number | string, Pending>();
  onRequest: RequestHandler = async (method) => {
    throw new RpcError(RpcCode.MethodNotFound, `unknown method ${method}`);
  };
  onNotification: NotificationHandler = () => undefined;
  onClose: (code: number, reason: string) => void = () => undefined;

  /**
   * `socketPath`: the hub's Unix socket (ATELIER_HUB_SOCKET), used instead of TCP with the path and
   * Host of `url`, as docs/protocol.md asks.
   */
  constructor(
    private readonly url: string,
    private readonly socketPath = '',
  ) {}

  /** Opens the WebSocket; resolves once it is open. */
  connect(timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const options = { maxPayload: 64 * 1024 * 1024, handshakeTimeout: timeoutMs };
      let socket: WebSocket;
      if (this.socketPath) {
        const target = new URL(this.url);
        socket = new WebSocket(`ws+unix://${this.socketPath}:${target.pathname}${target.search}`, {
          ...options,
          headers: { Host: target.host },
        });
      } else {
        socket = new WebSocket(this.url, options);
      }
      this.socket = socket;
      socket.once('open', () => resolve());
      socket.once('error', (error) => reject(error));
      socket.on('message', (data, isBinary) => {
        if (!isBinary) {
          this.receive(data.toString());
        }
      });
      socket.on('close', (code, reason) => {
        for (const [, waiting] of this.pending) {
          clearTimeout(waiting.timer);
          waiting.reject(new Error('the hub connection closed'));
        }
        this.pending.clear();
        this.onClose(code, reason.toString());
      });
    });
  }

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  request(method: string, params: unknown, timeoutMs = 15_000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  close(code = 1000, reason = ''): void {
    this.socket?.close(code, reason);
  }

  private send(message: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  private receive(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text);
    } catch {
      this.send({ jsonrpc: '2.0', id: null, error: { code: RpcCode.ParseError, message: 'parse error' } });
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.send({ jsonrpc: '2.0', id: null, error: { code: RpcCode.InvalidRequest, message: 'not a JSON-RPC object' } });
      return;
    }
    const id = message.id as number | string | undefined;
    if (typeof message.method === 'string') {
      const params = (message.params ?? {}) as Record<string, unknown>;
      if (id === undefined || id === null) {
        this.onNotification(message.method, params);
        return;
      }
      this.answer(id, message.method, params);
      return;
    }
    // A response to one of our requests.
    const waiting = id === undefined || id === null ? undefined : this.pending.get(id);
    if (!waiting) {
      return;
    }
    this.pending.delete(id as number | string);
    clearTimeout(waiting.timer);
    if (message.error) {
      const error = message.error as { code: number; message: string; data?: unknown };
      waiting.reject(new RpcError(error.code, error.message, error.data));
    } else {
      waiting.resolve(message.result);
    }
  }

  private answer(id: number | string, method: string, params: Record<string, unknown>): void {
    this.onRequest(method, params).then(
      (result) => this.send({ jsonrpc: '2.0', id, result: result ?? {} }),
      (error: unknown) => {
        if (error instanceof RpcError) {
          const body: Record<string, unknown> = { code: error.code, message: error.message };
          if (error.data !== undefined) {
            body.data = error.data;
          }
          this.send({ jsonrpc: '2.0', id, error: body });
          return;
        }
        const failure = error instanceof Error ? error : new Error(String(error));
        this.send({
          jsonrpc: '2.0',
          id,
          error: { code: RpcCode.EngineError, message: failure.message, data: { traceback: failure.stack ?? '' } },
        });
      },
    );
  }
}
