// SPDX-License-Identifier: Apache-2.0
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/// The fake model server of the agent's tests (tests/support/fake_model_server.py): speaks the
/// OpenAI-compatible and Anthropic streaming protocols and replays a script. A test fixture only.
export const FAKE_MODEL_SCRIPT = resolve(import.meta.dirname, '..', '..', 'tests', 'support', 'fake_model_server.py');

export class FakeModel {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static available(): boolean {
    return existsSync(FAKE_MODEL_SCRIPT);
  }

  static async start(): Promise<FakeModel> {
    // Debian's interpreter: the script needs nothing beyond the standard library.
    const child = spawn('/usr/bin/python3', [FAKE_MODEL_SCRIPT, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((done, fail) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /fake model listening on (\d+)/.exec(out);
        if (match) done(match[1]!);
      });
      child.once('exit', (code) => fail(new Error(`the fake model server exited (${code})`)));
      child.once('error', fail);
    });
    return new FakeModel(child, `http://127.0.0.1:${port}`);
  }

  /// Replaces the script: each model request gets the next reply ({text, tool_calls, …}).
  async script(replies: unknown[]): Promise<void> {
    const response = await fetch(`${this.url}/_script`, { method: 'POST', body: JSON.stringify({ replies }) });
    if (!response.ok) throw new Error(`fake model: /_script answered ${response.status}`);
  }

  async requests(): Promise<unknown[]> {
    return (await fetch(`${this.url}/_requests`)).json() as Promise<unknown[]>;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}
