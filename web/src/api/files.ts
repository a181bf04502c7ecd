// SPDX-License-Identifier: Apache-2.0
/// Files, diffs and imports (issue 18, DESIGN §12): uploads with progress, deletes, the tree of a
/// version (replayed from the versions' changed files: the hub has no tree listing), a version's
/// diff and a render imported into another project.

import { api, ApiError, describe_error } from './http';
import { file_url, list_of, normalize_version, type Version } from './projects';

type Raw = Record<string, unknown>;
const enc = encodeURIComponent;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export interface UploadResult {
  path: string;
  size?: number;
  version?: string;
}

/// `PUT /api/projects/{id}/files/{path}` with the file as the raw body, through XMLHttpRequest so
/// that the upload's progress is known (`on_progress(sent, total)`). Rejects with an ApiError whose
/// message is the hub's (a 413 says the limit).
export function upload_file(project_id: string, path: string, file: Blob, on_progress?: (sent: number, total: number) => void): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', file_url(project_id, path));
    request.withCredentials = true;
    request.setRequestHeader('Accept', 'application/json');
    request.setRequestHeader('Content-Type', 'application/octet-stream');
    request.upload.onprogress = (event) => on_progress?.(event.loaded, event.lengthComputable ? event.total : file.size);
    request.onload = () => {
      let body: Raw | undefined;
      try {
        body = JSON.parse(request.responseText) as Raw;
      } catch {
        body = undefined;
      }
      if (request.status >= 200 && request.status < 300) {
        const size = typeof body?.size === 'number' ? body.size : undefined;
        const version = str(body?.version);
        resolve({ path: str(body?.path) ?? path, ...(size !== undefined ? { size } : {}), ...(version ? { version } : {}) });
        return;
      }
      const error = body?.error as { code?: string; message?: string } | undefined;
      const fallback = request.status === 413 ? 'the file is larger than the hub accepts' : request.statusText || `the hub answered ${request.status}`;
      reject(new ApiError(request.status, error?.code ?? `http_${request.status}`, error?.message ?? fallback));
    };
    request.onerror = () =>
      // The hub may refuse an oversized body by closing the connection before the browser sent it all.
      reject(new ApiError(0, 'network', 'the upload was cut off — the hub closed the connection (is the file over its upload limit?)'));
    request.onabort = () => reject(new ApiError(0, 'aborted', 'the upload was cancelled'));
    request.send(file);
  });
}

export const delete_file = (project_id: string, path: string) => api<unknown>('DELETE', file_url(project_id, path));

/// Every version, newest first, following `next_cursor`.
export async function all_versions(project_id: string): Promise<Version[]> {
  const versions: Version[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const query = `?limit=200${cursor ? `&cursor=${enc(cursor)}` : ''}`;
    const body = await api<unknown>('GET', `/api/projects/${enc(project_id)}/versions${query}`);
    versions.push(...list_of(body, 'versions').map(normalize_version));
    cursor = body && typeof body === 'object' ? str((body as Raw).next_cursor) : undefined;
    if (!cursor) break;
  }
  return versions;
}

export interface TreeFile {
  path: string;
  /// The version that last changed it (its bytes at `rev` are those of this one).
  changed_in: string;
  size?: number;
}

function status_of(status: string | undefined): 'added' | 'modified' | 'deleted' | 'renamed' {
  const s = (status ?? 'modified').toLowerCase();
  if (s === 'd' || s.startsWith('delete') || s === 'removed') return 'deleted';
  if (s === 'a' || s.startsWith('add')) return 'added';
  if (s === 'r' || s.startsWith('rename')) return 'renamed';
  return 'modified';
}

/// The files of the project at `rev`: the changes of every version up to it, oldest first.
/// `versions` newest first, as the hub lists them.
export function tree_at(versions: Version[], rev: string): TreeFile[] {
  const index = versions.findIndex((version) => version.rev === rev);
  if (index < 0) return [];
  const files = new Map<string, TreeFile>();
  for (const version of versions.slice(index).reverse()) {
    for (const file of version.files) {
      const status = status_of(file.status);
      if (status === 'deleted') files.delete(file.path);
      else {
        if (status === 'renamed' && file.old_path) files.delete(file.old_path);
        files.set(file.path, { path: file.path, changed_in: version.rev, ...(file.size !== undefined ? { size: file.size } : {}) });
      }
    }
  }
  return [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/// Sizes from `HEAD …/files/{path}?rev=` (the bytes of a version never change, so once known, kept).
const known_sizes = new Map<string, number>();

export async function file_size(project_id: string, file: TreeFile): Promise<number | undefined> {
  if (file.size !== undefined) return file.size;
  const key = `${project_id}:${file.changed_in}:${file.path}`;
  const cached = known_sizes.get(key);
  if (cached !== undefined) return cached;
  const response = await fetch(file_url(project_id, file.path, file.changed_in), { method: 'HEAD', credentials: 'same-origin' });
  const length = Number(response.headers.get('Content-Length') ?? NaN);
  if (!response.ok || !Number.isFinite(length)) return undefined;
  known_sizes.set(key, length);
  return length;
}

export type DiffStatus = 'added' | 'modified' | 'deleted' | 'renamed';

export interface ObjectChange {
  name: string;
  /// "0,0,0 → 1,0,0", "Red → Blue" when the hub says.
  detail?: string;
}

export interface SceneDiff {
  added: ObjectChange[];
  removed: ObjectChange[];
  moved: ObjectChange[];
  rematerialed: ObjectChange[];
  /// The hub could not read the glTF (its reason).
  error?: string;
}

export interface DiffFile {
  path: string;
  status: DiffStatus;
  old_path?: string;
  /// Unified diff of a text file.
  diff?: string;
  binary?: boolean;
  objects?: SceneDiff;
  additions?: number;
  deletions?: number;
  /// The patch was cut at the hub's limit.
  truncated?: boolean;
}

export interface VersionDiff {
  rev: string;
  against?: string;
  files: DiffFile[];
}

function vector_text(value: unknown): string | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'number') ? value.map((v) => String(Math.round((v as number) * 1000) / 1000)).join(',') : str(value);
}

function object_changes(raw: unknown): ObjectChange[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .map((item): ObjectChange | undefined => {
      if (typeof item === 'string') return { name: item };
      if (!item || typeof item !== 'object') return undefined;
      const record = item as Raw;
      const name = str(record.name) ?? str(record.object);
      if (!name) return undefined;
      const from = vector_text(record.from ?? record.before ?? record.old);
      const to = vector_text(record.to ?? record.after ?? record.new);
      return { name, ...(from || to ? { detail: `${from ?? '?'} → ${to ?? '?'}` } : {}) };
    })
    .filter((change): change is ObjectChange => change !== undefined);
}

export function normalize_scene_diff(raw: unknown): SceneDiff | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const record = raw as Raw;
  const diff: SceneDiff = {
    added: object_changes(record.added),
    removed: object_changes(record.removed ?? record.deleted),
    moved: object_changes(record.moved ?? record.transformed),
    rematerialed: object_changes(record.rematerialed ?? record.materials ?? record.material_changed),
    ...(str(record.error) ? { error: str(record.error)! } : {}),
  };
  return diff;
}

export function normalize_diff(body: unknown, rev: string): VersionDiff {
  const record = (body && typeof body === 'object' ? body : {}) as Raw;
  const top_scene = normalize_scene_diff(record.objects ?? record.glb ?? record.scene);
  const files: DiffFile[] = list_of(body, 'files').map((file) => {
    const path = str(file.path) ?? '?';
    const old_path = str(file.old_path) ?? str(file.from);
    const diff = str(file.diff) ?? str(file.patch) ?? str(file.unified);
    const objects = normalize_scene_diff(file.objects ?? file.glb ?? file.scene) ?? (path.endsWith('.glb') ? top_scene : undefined);
    return {
      path,
      status: status_of(str(file.status)),
      ...(old_path ? { old_path } : {}),
      ...(diff ? { diff } : {}),
      ...(file.binary === true ? { binary: true } : {}),
      ...(objects ? { objects } : {}),
      ...(typeof file.additions === 'number' ? { additions: file.additions } : {}),
      ...(typeof file.deletions === 'number' ? { deletions: file.deletions } : {}),
      ...(file.truncated === true ? { truncated: true } : {}),
    };
  });
  const against = str(record.against) ?? str(record.from) ?? str(record.base) ?? str(record.parent);
  return { rev: str(record.rev) ?? str(record.to) ?? rev, ...(against ? { against } : {}), files };
}

export async function version_diff(project_id: string, rev: string, against?: string): Promise<VersionDiff> {
  const query = against ? `?against=${enc(against)}` : '';
  return normalize_diff(await api<unknown>('GET', `/api/projects/${enc(project_id)}/versions/${enc(rev)}/diff${query}`), rev);
}

export interface ImportResult {
  path: string;
  version?: string;
}

/// Copies a render of `from_project` into `project_id` (its asset folder unless `to` says).
export async function import_render(project_id: string, from_project: string, render: string, to?: string): Promise<ImportResult> {
  const body = await api<Raw>('POST', `/api/projects/${enc(project_id)}/import`, { from_project, render, ...(to ? { to } : {}) });
  const version = str(body?.version);
  return { path: str(body?.path) ?? render, ...(version ? { version } : {}) };
}

export { describe_error };
