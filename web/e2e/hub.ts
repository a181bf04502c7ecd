// SPDX-License-Identifier: Apache-2.0
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/// The real hub for end-to-end tests: `atelier serve --port 0` on a fresh data dir, with a config
/// that declares the engine kinds a scenario needs. Which binary: $ATELIER_BINARY (CTest sets it to
/// the asan build's `atelier`); the C++ test engine is built beside it.
export interface HubOptions {
  /// Extra TOML appended to the config file (engine kinds).
  config: string;
  /// Where the hub's stderr log goes.
  log_file: string;
  /// Extra command-line arguments.
  args?: string[];
  /// Serve this data dir (a restart on the same data) instead of a fresh one; the caller owns it.
  data_dir?: string;
  /// Listen on this port (a restart on the same address); default: any free port.
  port?: number;
}

export class Hub {
  private exit_code: number | null = null;
  private readonly exited: Promise<number>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly token: string,
    readonly data_dir: string,
    private readonly log_file: string,
    private readonly owns_data_dir: boolean,
  ) {
    this.exited = new Promise((done) => {
      if (child.exitCode !== null) done(child.exitCode);
      child.once('exit', (code, signal) => {
        this.exit_code = code ?? 128;
        done(code ?? (signal === 'SIGKILL' ? 137 : 128));
      });
    });
  }

  static binary(): string {
    const binary = process.env.ATELIER_BINARY;
    if (!binary) throw new Error('ATELIER_BINARY is not set: run the end-to-end tests through ctest (or set it to build/asan/atelier)');
    if (!existsSync(binary)) throw new Error(`ATELIER_BINARY=${binary} does not exist; build the hub first`);
    return resolve(binary);
  }

  /// The C++ test engine (tests/engine), built next to the hub binary.
  static test_engine(): string {
    const engine = join(dirname(Hub.binary()), 'atelier_test_engine');
    if (!existsSync(engine)) throw new Error(`${engine} does not exist; build the target atelier_test_engine`);
    return engine;
  }

  /// Starts the hub and resolves once it printed its sign-in link.
  static async start(options: HubOptions): Promise<Hub> {
    const data_dir = options.data_dir ?? mkdtempSync(join(tmpdir(), 'atelier-e2e-'));
    const config = join(data_dir, 'atelier.toml');
    writeFileSync(config, options.config);
    const web_root = resolve(import.meta.dirname, '..', 'dist');
    if (!existsSync(join(web_root, 'index.html'))) throw new Error(`${web_root}/index.html is missing: run scripts/web.sh build`);
    const env = { ...process.env };
    delete env.ATELIER_TOKEN; // the hub generates its own token in the fresh data dir
    const child = spawn(
      Hub.binary(),
      ['serve', '--port', String(options.port ?? 0), '--data-dir', data_dir, '--config', config, '--web-root', web_root, '--threads', '2', ...(options.args ?? [])],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log = createWriteStream(options.log_file, { flags: 'a' });
    child.stderr!.pipe(log);
    const link = await new Promise<string>((done, fail) => {
      let out = '';
      const on_data = (chunk: Buffer) => {
        out += chunk.toString();
        const match = /atelier open (http:\/\/\S+)/.exec(out);
        if (match) {
          child.stdout!.off('data', on_data);
          done(match[1]!);
        }
      };
      child.stdout!.on('data', on_data);
      child.once('exit', (code) => fail(new Error(`the hub exited (${code}) before it was ready; log: ${options.log_file}`)));
      child.once('error', fail);
    });
    const url = new URL(link);
    return new Hub(child, url.origin, url.searchParams.get('token') ?? '', data_dir, options.log_file, options.data_dir === undefined);
  }

  /// An authenticated REST call from the test itself (not from the page).
  async api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(this.url + path, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  log(): string {
    return existsSync(this.log_file) ? readFileSync(this.log_file, 'utf8') : '';
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /// SIGTERM (the hub saves and ends its sessions), then the exit code; SIGKILL if it hangs.
  /// Removes the data dir unless the caller passed it in.
  async stop(): Promise<number> {
    if (this.exit_code === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.owns_data_dir) rmSync(this.data_dir, { recursive: true, force: true });
    return this.exited;
  }
}
