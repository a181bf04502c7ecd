// SPDX-License-Identifier: Apache-2.0
// The real hub for the Remotion engine's tests: `atelier serve --port 0` on a temporary data dir
// (the binary is $ATELIER_BINARY; CTest sets it), a member token made with `atelier token create`,
// REST over loopback and browser tabs on /ws/browser.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';

export type Envelope = { type: string; id?: string; re?: string; payload: any };

export function hubBinary(): string {
  const binary = process.env.ATELIER_BINARY ?? '';
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new Error(`ATELIER_BINARY=${JSON.stringify(binary)} is not an executable atelier binary (ctest sets it; by hand: ATELIER_BINARY=build/asan/atelier)`);
  }
  return binary;
}

export class HubUnderTest {
  process: ChildProcess | null = null;
  port = 0;
  token = '';
  readonly dataDir: string;
  private readonly logPath: string;
  private stdout = '';

  /** `config`: the text of a config file to write, or `{path}` of one to serve with as it is. */
  constructor(
    readonly root: string,
    readonly config: string | { path: string },
  ) {
    this.dataDir = path.join(root, 'data');
    this.logPath = path.join(root, 'hub.log');
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const binary = hubBinary();
    fs.mkdirSync(this.dataDir, { recursive: true });
    let config: string;
    if (typeof this.config === 'string') {
      config = path.join(this.root, 'atelier.toml');
      fs.writeFileSync(config, this.config);
    } else {
      config = this.config.path;
    }
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ATELIER_')));
    this.token = execFileSync(binary, ['token', 'create', '--user', 'alice', '--label', 'remotion tests', '--data-dir', this.dataDir], {
      env,
      encoding: 'utf8',
    }).trim();
    const log = fs.openSync(this.logPath, 'w');
    this.process = spawn(binary, ['serve', '--config', config, '--port', '0', '--data-dir', this.dataDir, '--threads', '2'], {
      env,
      stdio: ['ignore', 'pipe', log],
      detached: true,
    });
    this.process.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const listening = /atelier listening on http:\/\/[^:]+:(\d+)/.exec(this.stdout);
      if (listening && this.stdout.includes('atelier open ')) {
        this.port = Number(listening[1]);
        return;
      }
      if (this.process.exitCode !== null) {
        throw new Error(`the hub exited with ${this.process.exitCode}: ${this.log().slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the hub did not print its ready lines: ${this.log().slice(-4000)}`);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  log(): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  engineLogs(): string {
    const sessions = path.join(this.dataDir, 'sessions');
    if (!fs.existsSync(sessions)) {
      return '';
    }
    return fs
      .readdirSync(sessions)
      .map((name) => path.join(sessions, name, 'engine.log'))
      .filter((file) => fs.existsSync(file))
      .map((file) => `== ${file}\n${fs.readFileSync(file, 'utf8')}`)
      .join('\n');
  }

  async rest(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`http://127.0.0.1:${this.port}${route}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed };
  }

  workdir(sessionId: string): string {
    return path.join(this.dataDir, 'sessions', sessionId, 'work');
  }
}

export class BrowserTab {
  readonly messages: Envelope[] = [];
  private nextId = 1;
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.messages.push(JSON.parse(data.toString()) as Envelope);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(hub: HubUnderTest): Promise<BrowserTab> {
    const socket = new WebSocket(`ws://127.0.0.1:${hub.port}/ws/browser`, {
      headers: { Authorization: `Bearer ${hub.token}` },
      maxPayload: 64 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new BrowserTab(socket);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  send(type: string, payload: unknown = {}): string {
    const id = `t${this.nextId++}`;
    this.socket.send(JSON.stringify({ type, id, payload }));
    return id;
  }

  async until<T>(predicate: () => T | undefined | null | false, what: string, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) {
        return value;
      }
      if (this.closed) {
        throw new Error(`the tab closed while waiting for ${what}`);
      }
      if (Date.now() > deadline) {
        const recent = this.messages.slice(-8).map((m) => [m.type, m.payload]);
        throw new Error(`no ${what}; last messages: ${JSON.stringify(recent).slice(0, 3000)}`);
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

  next(type: string, since: number, where: (message: Envelope) => boolean = () => true, timeoutMs = 120_000): Promise<Envelope> {
    return this.until(() => this.messages.slice(since).find((m) => m.type === type && where(m)), type, timeoutMs);
  }

  /** session:start and the session:ready that follows. */
  async startSession(projectId: string): Promise<any> {
    const since = this.messages.length;
    const id = this.send('session:start', { project_id: projectId });
    const ready = await this.until(
      () =>
        this.messages
          .slice(since)
          .find((m) => m.type === 'session:ready' || (m.type === 'error' && m.re === id) || (m.type === 'session:status' && m.payload.state === 'lost')),
      'session:ready',
      180_000,
    );
    if (ready.type !== 'session:ready') {
      throw new Error(`session:start failed: ${JSON.stringify(ready)}`);
    }
    return ready.payload;
  }

  /** command:send and its command:result payload. */
  async command(tool: string, args: Record<string, unknown> = {}, timeoutMs = 300_000): Promise<any> {
    const id = this.send('command:send', { tool, arguments: args });
    const reply = await this.until(() => this.messages.find((m) => m.re === id), `reply to ${tool}`, timeoutMs);
    return reply.type === 'error' ? { ok: false, error: reply.payload } : reply.payload;
  }

  close(): void {
    this.socket.close();
  }
}
