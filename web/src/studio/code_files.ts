// SPDX-License-Identifier: Apache-2.0
/// The Remotion code editor's pure parts: the file tree from `files__list_files`, a file's
/// language, and the problems of one file from `typecheck` and the preview. Pure.

export interface ProjectFile {
  path: string;
  size?: number;
}

export interface TreeRow {
  /// A folder heading or a file.
  kind: 'folder' | 'file';
  path: string;
  name: string;
  depth: number;
}

export function files_of(data: unknown): ProjectFile[] {
  const files = data && typeof data === 'object' ? (data as { files?: unknown }).files : undefined;
  if (!Array.isArray(files)) return [];
  return files
    .map((entry) => (typeof entry === 'string' ? { path: entry } : entry && typeof entry === 'object' ? (entry as ProjectFile) : undefined))
    .filter((file): file is ProjectFile => !!file && typeof file.path === 'string' && file.path !== '');
}

/// Folders first at each level, then files, by name; every folder as a heading row.
export function tree_rows(files: ProjectFile[]): TreeRow[] {
  interface Node {
    folders: Map<string, Node>;
    files: string[];
  }
  const root: Node = { folders: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split('/');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.folders.get(part);
      if (!next) {
        next = { folders: new Map(), files: [] };
        node.folders.set(part, next);
      }
      node = next;
    }
    node.files.push(parts[parts.length - 1]!);
  }
  const rows: TreeRow[] = [];
  const walk = (node: Node, prefix: string, depth: number) => {
    for (const name of [...node.folders.keys()].sort()) {
      const path = `${prefix}${name}/`;
      rows.push({ kind: 'folder', path, name, depth });
      walk(node.folders.get(name)!, path, depth + 1);
    }
    for (const name of [...node.files].sort()) rows.push({ kind: 'file', path: `${prefix}${name}`, name, depth });
  };
  walk(root, '', 0);
  return rows;
}

export type Language = 'tsx' | 'ts' | 'js' | 'json' | 'css' | 'text';

export function language_of(path: string): Language {
  const extension = path.toLowerCase().split('.').pop() ?? '';
  if (extension === 'tsx') return 'tsx';
  if (['ts', 'mts', 'cts'].includes(extension)) return 'ts';
  if (['js', 'jsx', 'mjs', 'cjs'].includes(extension)) return 'js';
  if (extension === 'json') return 'json';
  if (extension === 'css') return 'css';
  return 'text';
}

/// Whether the editor opens it: text, not images, audio, video or fonts.
export function is_text_file(path: string): boolean {
  const extension = path.toLowerCase().split('.').pop() ?? '';
  return !['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'ico', 'mp3', 'wav', 'ogg', 'mp4', 'webm', 'mov', 'woff', 'woff2', 'ttf', 'otf', 'zip', 'glb', 'blend'].includes(extension);
}

export interface TypecheckError {
  file: string;
  line: number;
  column: number;
  code?: string;
  message: string;
}

/// `typecheck`'s `data.errors`, or undefined when the result is not a typecheck's.
export function typecheck_errors(data: unknown): TypecheckError[] | undefined {
  const errors = data && typeof data === 'object' ? (data as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return undefined;
  return errors
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
    .map((e) => ({
      file: typeof e.file === 'string' ? e.file : '',
      line: typeof e.line === 'number' ? e.line : 0,
      column: typeof e.column === 'number' ? e.column : 1,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      message: typeof e.message === 'string' ? e.message : 'error',
    }));
}
