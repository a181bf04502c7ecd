// SPDX-License-Identifier: Apache-2.0
// typecheck: the TypeScript compiler over the project (`tsc --noEmit`), errors as file:line.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolError } from './rpc_error.js';
import type { ToolResult } from './tool_result.js';

export type Diagnostic = { file: string; line: number; column: number; code: string; message: string };

// tsc --pretty false prints "src/Intro.tsx(12,5): error TS2322: Type 'string' is not …", with
// continuation lines of the message indented below.
const kDiagnostic = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/;

export function parseTscOutput(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const match = kDiagnostic.exec(line.trimEnd());
    if (match) {
      diagnostics.push({
        file: match[1].split(path.sep).join('/'),
        line: Number(match[2]),
        column: Number(match[3]),
        code: match[5],
        message: match[6],
      });
    } else if (diagnostics.length > 0 && /^\s+\S/.test(line)) {
      diagnostics[diagnostics.length - 1].message += '\n' + line.trimEnd();
    } else if (/^error (TS\d+): (.*)$/.test(line.trim())) {
      const global = /^error (TS\d+): (.*)$/.exec(line.trim())!;
      diagnostics.push({ file: '', line: 0, column: 0, code: global[1], message: global[2] });
    }
  }
  return diagnostics;
}

export function formatDiagnostic(diagnostic: Diagnostic): string {
  const where = diagnostic.file ? `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}` : '(project)';
  return `${where} ${diagnostic.code}: ${diagnostic.message}`;
}

/**
 * Runs tsc over the project. `buildInfo` (a file outside the tree) keeps tsc's incremental state
 * between checks, so a second check after a small edit reads only what changed.
 */
export async function typecheck(workdir: string, tscPath: string, buildInfo: string, signal?: AbortSignal): Promise<ToolResult> {
  if (!fs.existsSync(path.join(workdir, 'tsconfig.json'))) {
    throw toolError('the project has no tsconfig.json; create one (the template has one) to type-check');
  }
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const args = [tscPath, '--noEmit', '--pretty', 'false', '--incremental', '--tsBuildInfoFile', buildInfo, '-p', 'tsconfig.json'];
    const child = spawn(process.execPath, args, {
      cwd: workdir,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, text }));
  });
  const diagnostics = parseTscOutput(output.text);
  if (output.code === 0 && diagnostics.length === 0) {
    return { content: [{ type: 'text', text: 'typecheck: no errors' }], data: { ok: true, errors: [] } };
  }
  if (diagnostics.length === 0) {
    throw toolError(`tsc failed (exit ${output.code}): ${output.text.slice(0, 2000)}`);
  }
  const shown = diagnostics.slice(0, 50).map(formatDiagnostic);
  if (diagnostics.length > shown.length) {
    shown.push(`… and ${diagnostics.length - shown.length} more`);
  }
  const summary = `typecheck: ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}\n${shown.join('\n')}`;
  return { content: [{ type: 'text', text: summary }], data: { ok: false, errors: diagnostics } };
}
