// SPDX-License-Identifier: Apache-2.0
import { api } from './http';

export type ProjectKind = 'blender' | 'remotion' | string;

export interface Project {
  id: string;
  name: string;
  kind: ProjectKind;
  created_at?: string;
  /// Time of the last change (last version, rename, …).
  updated_at?: string;
  thumbnail_url?: string;
}

export interface VersionFile {
  path: string;
  status?: string;
  /// A renamed file's earlier path.
  old_path?: string;
  size?: number;
}

export interface Version {
  rev: string;
  message: string;
  author?: string;
  time?: string;
  files: VersionFile[];
}

/// Whether natural-language turns work (`GET /api/health` → `model`); when not, why and what to set.
export interface ModelStatus {
  configured: boolean;
  provider?: string;
  model?: string;
  reason?: string;
  /// The hub's own explanation of what to set (config keys, environment variables, local models).
  message?: string;
}

export interface Health {
  status: string;
  version?: string;
  uptime_s?: number;
  model?: ModelStatus;
  /// True when the hub has user accounts: the sign-in page then offers user name and password.
  accounts?: boolean;
}

/// A finished render in the project's `renders/` folder (`GET /api/projects/{id}/renders`).
export interface RenderFile {
  name: string;
  size?: number;
  modified?: string;
  url: string;
  /// `render` (renders/) or `export` (exports/: a model, a scene file).
  kind: 'render' | 'export';
  /// The version it was made from.
  version?: string;
}

export interface SignedInUser {
  id?: string;
  name: string;
}

type Raw = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/// Accepts the shapes a hub may reasonably answer with: an array or `{ <key>: [...] }`.
// The hub answers lists as {items, next_cursor} (docs/api.md); older shapes are still accepted.
export function list_of(body: unknown, key: string): Raw[] {
  if (Array.isArray(body)) return body as Raw[];
  if (body && typeof body === 'object') {
    const raw = body as Raw;
    if (Array.isArray(raw.items)) return raw.items as Raw[];
    if (Array.isArray(raw[key])) return raw[key] as Raw[];
  }
  return [];
}

function time_of(value: unknown): string | undefined {
  if (typeof value === 'number') return new Date(value > 1e12 ? value : value * 1000).toISOString();
  return str(value);
}

export function normalize_project(raw: Raw): Project {
  const thumbnail = str(raw.thumbnail_url) ?? str(raw.thumbnail);
  const updated = time_of(raw.updated_at) ?? time_of(raw.last_change) ?? time_of(raw.modified_at) ?? time_of(raw.created_at);
  const created = time_of(raw.created_at);
  return {
    id: str(raw.id) ?? '',
    name: str(raw.name) ?? 'Untitled',
    kind: str(raw.kind) ?? 'unknown',
    ...(created ? { created_at: created } : {}),
    ...(updated ? { updated_at: updated } : {}),
    ...(thumbnail ? { thumbnail_url: thumbnail } : {}),
  };
}

export function normalize_version(raw: Raw): Version {
  const files_raw = (raw.files ?? raw.changed_files ?? raw.changes ?? []) as unknown[];
  const files: VersionFile[] = Array.isArray(files_raw)
    ? files_raw.map((f): VersionFile => {
        if (typeof f === 'string') return { path: f };
        const file = f as Raw;
        const old_path = str(file.old_path) ?? str(file.from);
        return {
          path: str(file.path) ?? '?',
          ...(str(file.status) ? { status: str(file.status)! } : {}),
          ...(old_path ? { old_path } : {}),
          ...(typeof file.size === 'number' ? { size: file.size } : {}),
        };
      })
    : [];
  const author = raw.author && typeof raw.author === 'object' ? str((raw.author as Raw).name) : str(raw.author);
  const time = time_of(raw.time) ?? time_of(raw.created_at) ?? time_of(raw.timestamp);
  return {
    rev: str(raw.rev) ?? str(raw.id) ?? str(raw.sha) ?? '',
    message: str(raw.message) ?? '',
    ...(author ? { author } : {}),
    ...(time ? { time } : {}),
    files,
  };
}

const enc = encodeURIComponent;

export function normalize_render(raw: Raw, project_id: string): RenderFile | undefined {
  const name = str(raw.name) ?? str(raw.path)?.split('/').pop();
  if (!name) return undefined;
  const size = typeof raw.size === 'number' ? raw.size : undefined;
  const modified = time_of(raw.modified) ?? time_of(raw.modified_at) ?? time_of(raw.mtime);
  const version = str(raw.version) ?? str(raw.rev);
  return {
    name,
    kind: raw.kind === 'export' ? 'export' : 'render',
    url: str(raw.url) ?? render_url(project_id, name),
    ...(version ? { version } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(modified ? { modified } : {}),
  };
}

/// The download link of a finished render (kept in the session's `renders/`, outside the commits).
export function render_url(project_id: string, name: string): string {
  return `/api/projects/${enc(project_id)}/renders/${enc(name)}`;
}

export const hub = {
  health: () => api<Health>('GET', '/api/health'),
  /// The engine kinds this hub can start (`[engines.<kind>]` of its config).
  engine_kinds: async (): Promise<string[]> => {
    const body = await api<{ kinds?: unknown }>('GET', '/api/engines');
    return Array.isArray(body?.kinds) ? body.kinds.filter((k): k is string => typeof k === 'string') : [];
  },
  login: async (username: string, password: string): Promise<SignedInUser> => {
    const body = await api<{ user?: Raw }>('POST', '/api/login', { username, password });
    return { name: str(body?.user?.name) ?? username, ...(str(body?.user?.id) ? { id: str(body?.user?.id)! } : {}) };
  },
  logout: () => api<void>('POST', '/api/logout'),
  list_renders: async (id: string): Promise<RenderFile[]> =>
    list_of(await api<unknown>('GET', `/api/projects/${enc(id)}/renders`), 'renders')
      .map((raw) => normalize_render(raw, id))
      .filter((r): r is RenderFile => r !== undefined),
  /// The versions that have a picture (docs/api.md "Thumbnails"): rev → image URL, and the newest.
  list_thumbnails: async (id: string): Promise<{ by_rev: Record<string, string>; newest?: string }> => {
    const body = await api<{ items?: unknown; newest?: unknown }>('GET', `/api/projects/${enc(id)}/thumbnails`);
    const by_rev: Record<string, string> = {};
    for (const item of Array.isArray(body?.items) ? (body.items as Raw[]) : []) {
      if (str(item.rev) && str(item.url)) by_rev[str(item.rev)!] = str(item.url)!;
    }
    return { by_rev, ...(str(body?.newest) ? { newest: str(body?.newest)! } : {}) };
  },
  list_projects: async () => list_of(await api<unknown>('GET', '/api/projects'), 'projects').map(normalize_project),
  get_project: async (id: string) => normalize_project(await api<Raw>('GET', `/api/projects/${enc(id)}`)),
  create_project: async (name: string, kind: ProjectKind) =>
    normalize_project(await api<Raw>('POST', '/api/projects', { name, kind })),
  rename_project: async (id: string, name: string) =>
    normalize_project((await api<Raw>('PATCH', `/api/projects/${enc(id)}`, { name })) ?? { id, name }),
  delete_project: (id: string) => api<void>('DELETE', `/api/projects/${enc(id)}`),
  list_versions: async (id: string) =>
    list_of(await api<unknown>('GET', `/api/projects/${enc(id)}/versions`), 'versions').map(normalize_version),
  restore_version: (id: string, rev: string) =>
    api<unknown>('POST', `/api/projects/${enc(id)}/versions/${enc(rev)}/restore`),
  list_messages: async (id: string) =>
    list_of(await api<unknown>('GET', `/api/projects/${enc(id)}/messages`), 'messages').map((m) => ({
      role: str(m.role) ?? 'user',
      text: str(m.text) ?? str(m.content) ?? '',
      tool_actions: (Array.isArray(m.tool_actions) ? (m.tool_actions as Raw[]) : [])
        .filter((a) => typeof a.tool === 'string')
        .map((a) => ({
          tool: a.tool as string,
          ...(a.arguments && typeof a.arguments === 'object' ? { arguments: a.arguments as Record<string, unknown> } : {}),
          ...(typeof a.ok === 'boolean' ? { ok: a.ok } : {}),
          ...(typeof a.error === 'string' ? { error: a.error } : {}),
        })),
    })),
};

/// A download link for a project file, at a version when `rev` is given.
export function file_url(project_id: string, path: string, rev?: string): string {
  const encoded_path = path.split('/').map(enc).join('/');
  return `/api/projects/${enc(project_id)}/files/${encoded_path}${rev ? `?rev=${enc(rev)}` : ''}`;
}
