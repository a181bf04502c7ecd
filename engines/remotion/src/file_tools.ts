// SPDX-License-Identifier: Apache-2.0
// The file tools: list, read (line ranges), write, edit (one exact match), delete. Every path goes
// through resolveInside first.

import fs from 'node:fs';
import path from 'node:path';
import { Access, resolveInside } from './paths.js';
import { toolError } from './rpc_error.js';
import type { ToolResult } from './tool_result.js';
import { textResult } from './tool_result.js';

/** Folders never listed: dependencies, git metadata and the engine's own scratch files. */
const kSkippedFolders = new Set(['node_modules', '.git', '.atelier']);
const kMaxReadBytes = 512 * 1024;

export type FileContext = { workdir: string; sharedModules: string };

type Entry = { path: string; size: number };

function walk(root: string, directory: string, recursive: boolean, out: Entry[], directories: string[]): void {
  const entries = fs.readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (kSkippedFolders.has(entry.name)) {
      continue;
    }
    const absolute = path.join(directory, entry.name);
    const relative = path.relative(root, absolute).split(path.sep).join('/');
    if (entry.isDirectory()) {
      directories.push(relative + '/');
      if (recursive) {
        walk(root, absolute, recursive, out, directories);
      }
    } else if (entry.isFile()) {
      out.push({ path: relative, size: fs.statSync(absolute).size });
    }
  }
}

export function listFiles(context: FileContext, args: { path?: string; recursive?: boolean }): ToolResult {
  const start = args.path && args.path !== '.' ? resolveInside(context.workdir, args.path, Access.Read) : context.workdir;
  if (!fs.existsSync(start) || !fs.statSync(start).isDirectory()) {
    throw toolError(`"${args.path}" is not a folder of the project`);
  }
  const files: Entry[] = [];
  const directories: string[] = [];
  walk(fs.realpathSync(context.workdir), fs.realpathSync(start), args.recursive ?? true, files, directories);
  const lines = files.map((file) => `${file.path}  (${file.size} bytes)`);
  const text = files.length === 0 ? 'no files' : lines.join('\n');
  return { ...textResult(text), data: { files, directories } };
}

export function readFile(
  context: FileContext,
  args: { path: string; start_line?: number; end_line?: number },
): ToolResult {
  const file = resolveInside(context.workdir, args.path, Access.Read, context.sharedModules);
  if (!fs.existsSync(file)) {
    throw toolError(`"${args.path}" does not exist (list_files shows what there is)`);
  }
  const stat = fs.statSync(file);
  if (!stat.isFile()) {
    throw toolError(`"${args.path}" is a folder, not a file`);
  }
  if (stat.size > kMaxReadBytes) {
    throw toolError(`"${args.path}" is ${stat.size} bytes; files over ${kMaxReadBytes} bytes are not read`);
  }
  const content = fs.readFileSync(file, 'utf8');
  const lines = content.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  const total = lines.length;
  const first = Math.max(1, args.start_line ?? 1);
  const last = Math.min(total, args.end_line ?? total);
  if (args.start_line !== undefined && first > total) {
    throw toolError(`"${args.path}" has ${total} lines; start_line ${first} is past the end`);
  }
  if (last < first && total > 0) {
    throw toolError(`end_line ${last} is before start_line ${first}`);
  }
  const text = lines.slice(first - 1, last).join('\n');
  const whole = first === 1 && last === total;
  const header = whole ? `${args.path} (${total} lines)` : `${args.path} (lines ${first}-${last} of ${total})`;
  return {
    content: [{ type: 'text', text: `${header}\n${text}` }],
    data: { path: args.path, start_line: first, end_line: last, total_lines: total, text },
  };
}

export function writeFile(context: FileContext, args: { path: string; content: string }): ToolResult {
  const file = resolveInside(context.workdir, args.path, Access.Write);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw toolError(`"${args.path}" is a folder; give a file path`);
  }
  const existed = fs.existsSync(file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, args.content, 'utf8');
  const bytes = Buffer.byteLength(args.content, 'utf8');
  return {
    ...textResult(`${existed ? 'wrote' : 'created'} ${args.path} (${bytes} bytes)`),
    data: { path: args.path, bytes, created: !existed },
  };
}

function countOccurrences(haystack: string, needle: string): number[] {
  const positions: number[] = [];
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    positions.push(at);
  }
  return positions;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
    }
  }
  return line;
}

export function editFile(context: FileContext, args: { path: string; old_text: string; new_text: string }): ToolResult {
  const file = resolveInside(context.workdir, args.path, Access.Write);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw toolError(`"${args.path}" does not exist; use write_file to create it`);
  }
  if (args.old_text === '') {
    throw toolError('old_text must not be empty; use write_file to replace a whole file');
  }
  const content = fs.readFileSync(file, 'utf8');
  const matches = countOccurrences(content, args.old_text);
  if (matches.length === 0) {
    throw toolError(
      `old_text was not found in ${args.path} (0 matches). It must match the file exactly, ` +
        'whitespace and line breaks included; read_file shows the current text.',
      { matches: 0 },
    );
  }
  if (matches.length > 1) {
    const lines = matches.map((offset) => lineOf(content, offset));
    throw toolError(
      `old_text matches ${matches.length} times in ${args.path} (lines ${lines.join(', ')}); ` +
        'include more surrounding text so that it matches exactly once.',
      { matches: matches.length, lines },
    );
  }
  const at = matches[0];
  const updated = content.slice(0, at) + args.new_text + content.slice(at + args.old_text.length);
  fs.writeFileSync(file, updated, 'utf8');
  const line = lineOf(content, at);
  return { ...textResult(`edited ${args.path} at line ${line}`), data: { path: args.path, line } };
}

export function deleteFile(context: FileContext, args: { path: string }): ToolResult {
  const file = resolveInside(context.workdir, args.path, Access.Write);
  if (fs.realpathSync(context.workdir) === file) {
    throw toolError('the project folder itself cannot be deleted');
  }
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    throw toolError(`"${args.path}" does not exist`);
  }
  if (stat.isDirectory()) {
    if (fs.readdirSync(file).length > 0) {
      throw toolError(`"${args.path}" is a folder that is not empty; delete its files first`);
    }
    fs.rmdirSync(file);
  } else {
    fs.unlinkSync(file);
  }
  return { ...textResult(`deleted ${args.path}`), data: { path: args.path } };
}
