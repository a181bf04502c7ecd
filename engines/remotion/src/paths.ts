// SPDX-License-Identifier: Apache-2.0
// Confines every path a tool names to the project's working tree: relative paths only, no "..",
// no way out through a symlink, nothing written into node_modules (the shared dependencies) or .git.

import fs from 'node:fs';
import path from 'node:path';
import { toolError } from './rpc_error.js';

export enum Access {
  Read,
  Write,
}

const kForbiddenForWrites = new Set(['node_modules', '.git']);

/** True when `child` is `parent` or lies below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The real path of `target`, or of its nearest existing ancestor joined with the rest. */
function realPathOfNearest(target: string): string {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) {
        return target;
      }
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Resolves `relative` (a path as a tool argument gives it) inside `root`, or throws an error the
 * model can act on. Reads may follow the project's `node_modules` link into `sharedModules` (the
 * engine's own dependencies, e.g. to look up a type); writes never touch node_modules or .git.
 */
export function resolveInside(root: string, relative: string, access: Access, sharedModules?: string): string {
  if (typeof relative !== 'string' || relative.trim() === '') {
    throw toolError('path: must not be empty; give a path relative to the project, e.g. "src/Root.tsx"');
  }
  if (relative.includes('\0')) {
    throw toolError('path: contains a NUL byte');
  }
  const normalisedInput = relative.replace(/\\/g, '/');
  if (normalisedInput.startsWith('/') || path.isAbsolute(relative) || /^[a-zA-Z]:/.test(normalisedInput)) {
    throw toolError(`path "${relative}": must be relative to the project, not absolute`);
  }
  const parts = normalisedInput.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw toolError(`path "${relative}": ".." is not allowed; every path stays inside the project`);
  }
  if (access === Access.Write && parts.some((part) => kForbiddenForWrites.has(part))) {
    throw toolError(`path "${relative}": node_modules and .git are not part of the project and cannot be written`);
  }
  const realRoot = fs.realpathSync(root);
  const joined = path.join(realRoot, ...parts);
  const real = realPathOfNearest(joined);
  if (isInside(realRoot, real)) {
    return joined;
  }
  if (access === Access.Read && sharedModules && parts[0] === 'node_modules') {
    const realModules = fs.realpathSync(sharedModules);
    if (isInside(realModules, real)) {
      return real;
    }
  }
  throw toolError(`path "${relative}": leads outside the project (through a symbolic link)`);
}

/** `absolute` as a project-relative path with forward slashes. */
export function projectRelative(root: string, absolute: string): string {
  return path.relative(fs.realpathSync(root), absolute).split(path.sep).join('/');
}
