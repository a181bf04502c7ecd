// SPDX-License-Identifier: Apache-2.0
import type {
  CommandResultPayload,
  ContentBlock,
  Envelope,
  ErrorBody,
  PreviewInfo,
  RegistryUpdatedPayload,
  RenderProgressPayload,
  SessionReadyPayload,
  SessionStatusPayload,
  ToolDescriptor,
} from '../protocol/messages';
import type { ConnectionState } from '../protocol/protocol_client';
import { activity_runs } from './activity';
import { reports_failure } from '../chat/chat_state';
import { clean_error_text } from '../preview/error_text';
import { scene_info, type SceneInfo } from './scene_info';
import { summary_line } from './scene_summary';

/// Everything the studio knows about its session besides the chat, from hub messages. Pure.

export interface CommandRun {
  id: string;
  tool: string;
  status: 'running' | 'ok' | 'error';
  content: ContentBlock[];
  data?: unknown;
  error?: ErrorBody;
  duration_ms?: number;
  started_at: number;
  /// Another client's command (`command:activity`): who ran it ("claude-code 2.1", "another tab").
  by?: string;
  /// The version it made, when it made one.
  version?: string;
}

export interface RenderJob {
  job_id: string;
  label: string;
  progress: number;
  state: string;
  frame?: number;
  total_frames?: number;
  output?: string;
  /// The version the output was committed in (its download link pins it).
  rev?: string;
  url?: string;
  message?: string;
  /// The `command:send` that started it (the hub tags progress with `request_id`): what Cancel
  /// cancels, and whose result names the output.
  command_id?: string;
}

export interface SessionView {
  connection: ConnectionState;
  session_id?: string;
  status: SessionStatusPayload;
  engine?: string;
  tools: ToolDescriptor[];
  preview?: PreviewInfo | null;
  /// Bumped when the hub says the preview server (re)started (`preview:ready`): the page reloads.
  preview_tick: number;
  /// The engine's own report of a preview failure (`preview:error` from the hub: a bundling or
  /// compile error the page cannot show), until the preview server restarts.
  engine_preview_error?: { message: string; stack?: string };
  commands: CommandRun[];
  renders: RenderJob[];
  scene_summary?: string;
  /// The scene summary's objects, materials, collections and frame range, when it has them.
  scene?: SceneInfo;
  /// Bumped whenever a version may have been created, so the versions list reloads.
  version_tick: number;
  /// Bumped whenever the engine says the project changed (`scene:updated`): a preview error is
  /// over only when the page is ready again after a change.
  project_tick: number;
  /// Bumped whenever a render may have finished, so the list of render files reloads.
  renders_tick: number;
  /// The hub refused the session itself (unknown project, engine kind not configured, …).
  fatal?: ErrorBody;
  /// A version is being restored: the session ends and a new one starts from it (its label).
  restoring?: string;
  /// Who else is in the project's session (`session:presence`, `session:ready.clients`): tabs, MCP
  /// clients and a running agent turn. One live session per project, whoever opened it.
  clients?: SessionClient[];
}

export interface SessionClient {
  id: string;
  kind: 'tab' | 'mcp' | 'agent' | string;
  name?: string;
  version?: string;
}

function normalize_clients(raw: unknown): SessionClient[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return raw
    .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map((item) => ({
      id: String(item.id ?? ''),
      kind: typeof item.kind === 'string' ? item.kind : 'tab',
      ...(typeof item.name === 'string' ? { name: item.name } : {}),
      ...(typeof item.version === 'string' ? { version: item.version } : {}),
    }));
}

/// "2 tabs · claude-code 2.1" — who is in the session, for the top bar; undefined when this tab is alone.
export function presence_label(clients: SessionClient[] | undefined): string | undefined {
  if (!clients || clients.length < 2) return undefined;
  const tabs = clients.filter((client) => client.kind === 'tab').length;
  const parts: string[] = [];
  if (tabs > 0) parts.push(`${tabs} tab${tabs === 1 ? '' : 's'}`);
  for (const client of clients) {
    if (client.kind === 'mcp') parts.push(`${client.name ?? 'MCP client'}${client.version ? ` ${client.version}` : ''}`);
    if (client.kind === 'agent') parts.push('agent');
  }
  return parts.join(' · ');
}

/// Who ran a command another client sent, in words ("claude-code 2.1", "the agent", "another tab").
export function client_label(raw: unknown): string {
  const client = normalize_clients([raw])?.[0];
  if (!client) return 'another client';
  if (client.kind === 'agent') return 'the agent';
  if (client.kind === 'mcp') return `${client.name ?? 'an MCP client'}${client.version ? ` ${client.version}` : ''}`;
  return client.name ?? 'another tab';
}

export const initial_session_view: SessionView = {
  connection: { kind: 'closed' },
  status: { state: 'starting', detail: 'connecting to the hub' },
  tools: [],
  commands: [],
  renders: [],
  version_tick: 0,
  project_tick: 0,
  renders_tick: 0,
  preview_tick: 0,
};

/// `preview` as the hub may send it: a path (`"/preview/<session>/"`), an object with `url`, or null.
export function normalize_preview(raw: unknown): PreviewInfo | null {
  if (typeof raw === 'string') return raw ? { url: raw } : null;
  if (raw && typeof raw === 'object') return raw as PreviewInfo;
  return null;
}

export type SessionAction =
  | { type: 'connection'; state: ConnectionState }
  | { type: 'message'; message: Envelope; now: number; session_start_id?: string }
  | { type: 'command_sent'; id: string; tool: string; now: number }
  | { type: 'command_failed'; id: string; error: ErrorBody; now: number }
  | { type: 'dismiss_command'; id: string }
  | { type: 'commands_restored'; commands: CommandRun[] }
  | { type: 'restoring'; label: string }
  | { type: 'restore_done' };

const MAX_COMMANDS = 20;

/// Finished commands known from elsewhere (the hub's session activity) behind the ones this tab
/// has, each once.
function with_restored_commands(view: SessionView, commands: CommandRun[]): SessionView {
  const known = new Set(view.commands.map((run) => run.id));
  const restored = commands.filter((run) => !known.has(run.id) && run.status !== 'running');
  return restored.length === 0 ? view : { ...view, commands: [...view.commands, ...restored].slice(0, MAX_COMMANDS) };
}

const APP_NAMES: Record<string, string> = { blender: 'Blender', remotion: 'Remotion' };

/// What the top bar says about the engine: the application and its version ("Blender 3.4.1") when
/// the hub passes it on (`engine.app_version`, from the engine's hello), else the engine's own.
export function engine_label(engine: SessionReadyPayload['engine']): string | undefined {
  if (!engine) return undefined;
  if (typeof engine === 'string') return engine;
  const app_version = engine.app_version ?? engine.blender_version;
  if (app_version) return `${APP_NAMES[engine.kind ?? ''] ?? engine.kind ?? ''} ${app_version}`.trim();
  return [engine.kind, engine.version].filter(Boolean).join(' ') || undefined;
}

function update_command(view: SessionView, id: string, patch: (run: CommandRun) => CommandRun): SessionView {
  return { ...view, commands: view.commands.map((run) => (run.id === id ? patch(run) : run)) };
}

/// The engines' own shape of render/progress, `{call_id, done, total}` (the Blender engine), read as
/// a job `call_id` at frame `done` of `total`; done when they meet.
function normalize_progress(raw: Record<string, unknown>): RenderProgressPayload | undefined {
  const job_id = typeof raw.job_id === 'string' ? raw.job_id : typeof raw.call_id === 'string' ? raw.call_id : undefined;
  if (!job_id) return undefined;
  const p = { ...(raw as unknown as RenderProgressPayload), job_id };
  if (p.frame === undefined && typeof raw.done === 'number') p.frame = raw.done;
  if (p.total_frames === undefined && typeof raw.total === 'number') p.total_frames = raw.total;
  // Every frame rendered (and encoded, when the engine says so) is the end, whatever fraction the
  // engine put beside it: the Remotion engine sends `progress` too, and a job read as running at
  // 100 % stayed "running" for ever next to the finished one.
  const encoded = typeof raw.encoded === 'number' ? raw.encoded : undefined;
  if (p.state === undefined && p.frame !== undefined && p.total_frames) {
    p.state = p.frame >= p.total_frames && (encoded === undefined || encoded >= p.total_frames) ? 'done' : 'running';
  }
  if (typeof raw.request_id === 'string' && raw.request_id) p.request_id = raw.request_id;
  return p;
}

/// A tool result that names a file under renders/ (`data.path`) is a render's output: it goes to
/// the newest job without an output (its progress came before the result), or becomes a job.
function attach_output(jobs: RenderJob[], path: string, rev: string | undefined, tool: string, command_id?: string): RenderJob[] {
  // The job of that command, else the one already writing this file, else the newest without one.
  const target =
    (command_id ? jobs.find((job) => job.command_id === command_id) : undefined) ??
    jobs.find((job) => job.output === path && job.state !== 'failed' && job.rev === undefined) ??
    jobs.find((job) => job.output === undefined && job.state !== 'failed');
  const name = path.split('/').pop() ?? path;
  const done = (job: RenderJob): RenderJob => ({ ...job, label: name, state: 'done', progress: 1, output: path, ...(rev ? { rev } : {}) });
  if (target) return jobs.map((job) => (job === target ? done(job) : job));
  return [done({ job_id: `${tool}:${path}:${rev ?? ''}`, label: name, progress: 1, state: 'done' }), ...jobs];
}

/// A command that failed or was cancelled ends its render job: no job stays "running" for ever.
function end_jobs_of(jobs: RenderJob[], command_id: string, message: string, code?: string): RenderJob[] {
  if (!jobs.some((job) => job.command_id === command_id && job.state !== 'done')) return jobs;
  const cancelled = code === 'cancelled';
  return jobs.map((job) =>
    job.command_id === command_id && job.state !== 'done' ? { ...job, state: cancelled ? 'cancelled' : 'failed', message: cancelled ? 'Cancelled.' : message } : job,
  );
}

function render_path(data: unknown): string | undefined {
  const path = data && typeof data === 'object' ? (data as { path?: unknown }).path : undefined;
  return typeof path === 'string' && path.startsWith('renders/') ? path : undefined;
}

function render_update(jobs: RenderJob[], p: RenderProgressPayload): RenderJob[] {
  const existing = jobs.find((j) => j.job_id === p.job_id);
  // An ended job stays ended: the engine may still report a frame it finished while the cancel
  // was on its way (after the hub answered the command, so without its request id).
  if (existing && ['done', 'failed', 'cancelled'].includes(existing.state)) return jobs;
  const progress =
    typeof p.progress === 'number'
      ? Math.min(1, Math.max(0, p.progress))
      : p.frame !== undefined && p.total_frames
        ? Math.min(1, p.frame / p.total_frames)
        : (existing?.progress ?? 0);
  const state = p.state ?? existing?.state ?? 'running';
  const job: RenderJob = {
    ...(existing ?? { job_id: p.job_id, label: p.label ?? (p.tool ? (p.tool.split('__').pop() ?? p.tool) : `Render ${p.job_id.slice(0, 8)}`) }),
    progress: state === 'done' ? 1 : progress,
    state,
    ...(p.frame !== undefined ? { frame: p.frame } : {}),
    ...(p.total_frames !== undefined ? { total_frames: p.total_frames } : {}),
    ...(p.output ? { output: p.output } : {}),
    ...(p.url ? { url: p.url } : {}),
    ...(p.message ? { message: p.message } : {}),
    ...(p.label ? { label: p.label } : {}),
    ...(p.request_id ? { command_id: p.request_id } : {}),
  };
  return existing ? jobs.map((j) => (j.job_id === p.job_id ? job : j)) : [job, ...jobs];
}

export function session_reducer(view: SessionView, action: SessionAction): SessionView {
  switch (action.type) {
    case 'connection':
      return { ...view, connection: action.state };
    case 'command_sent': {
      const run: CommandRun = { id: action.id, tool: action.tool, status: 'running', content: [], started_at: action.now };
      return { ...view, commands: [run, ...view.commands].slice(0, MAX_COMMANDS) };
    }
    case 'command_failed':
      return update_command({ ...view, renders: end_jobs_of(view.renders, action.id, action.error.message, action.error.code) }, action.id, (run) =>
        run.status === 'running'
          ? { ...run, status: 'error', error: action.error, duration_ms: action.now - run.started_at }
          : run,
      );
    case 'commands_restored':
      return with_restored_commands(view, action.commands);
    case 'dismiss_command':
      return { ...view, commands: view.commands.filter((run) => run.id !== action.id) };
    case 'restoring':
      return { ...view, restoring: action.label };
    case 'restore_done': {
      const { restoring: _done, ...rest } = view;
      return rest;
    }
    case 'message':
      return on_message(view, action.message, action.now, action.session_start_id);
  }
}

function on_message(view: SessionView, message: Envelope, now: number, session_start_id?: string): SessionView {
  const payload = (message.payload ?? {}) as Record<string, unknown>;
  switch (message.type) {
    case 'session:ready': {
      const p = payload as unknown as SessionReadyPayload;
      const engine = engine_label(p.engine);
      // A new session is ready: a restore that was waiting for it is over, and the scene summary
      // of the old one (the scene before a restore) no longer describes anything.
      const { fatal: _cleared, restoring: _restored, ...kept } = view;
      const { scene_summary: _old_scene, scene: _old_info, ...fresh } = kept;
      const rest = p.session_id && p.session_id !== view.session_id ? fresh : kept;
      return {
        ...rest,
        session_id: p.session_id ?? view.session_id,
        status: { state: 'ready' },
        ...(engine ? { engine } : {}),
        tools: Array.isArray(p.tools) ? p.tools : view.tools,
        preview: normalize_preview(p.preview),
        // The hub's latest scene of this session wins over whatever this tab kept.
        ...(summary_line(p.scene) ? { scene_summary: summary_line(p.scene) } : {}),
        ...(scene_info(p.scene) ? { scene: scene_info(p.scene)! } : {}),
        ...(normalize_clients((payload as Record<string, unknown>).clients)
          ? { clients: normalize_clients((payload as Record<string, unknown>).clients)! }
          : {}),
        // The session's recent commands (the hub keeps them): after a reload, "Recent commands" again.
        commands: with_restored_commands(rest, activity_runs((payload as Record<string, unknown>).activity, client_label, now)).commands,
      };
    }
    case 'session:presence': {
      const clients = normalize_clients(payload.clients);
      return clients ? { ...view, clients } : view;
    }
    case 'preview:ready': {
      const url = typeof payload.url === 'string' && payload.url ? payload.url : undefined;
      if (!url) return view;
      const { engine_preview_error: _stale, ...rest } = view;
      return { ...rest, preview: { ...(view.preview ?? {}), url }, preview_tick: view.preview_tick + 1 };
    }
    case 'preview:error': {
      const message = clean_error_text(typeof payload.message === 'string' && payload.message ? payload.message : 'the preview failed');
      return { ...view, engine_preview_error: { message, ...(typeof payload.stack === 'string' ? { stack: clean_error_text(payload.stack) } : {}) } };
    }
    case 'session:status': {
      const p = payload as unknown as SessionStatusPayload;
      const session_id = typeof payload.session_id === 'string' ? payload.session_id : view.session_id;
      // Another session starts (after a restore, say): the old one's scene line describes nothing.
      const { scene_summary: _old_scene, scene: _old_info, ...without_scene } = view;
      const base = session_id && view.session_id && session_id !== view.session_id ? without_scene : view;
      return { ...base, status: p, ...(session_id ? { session_id } : {}) };
    }
    case 'registry:updated': {
      const p = payload as unknown as RegistryUpdatedPayload;
      return Array.isArray(p.tools) ? { ...view, tools: p.tools } : view;
    }
    case 'scene:updated': {
      const line = summary_line(payload.summary);
      const info = scene_info(payload.summary);
      const changed = { ...view, project_tick: view.project_tick + 1 };
      return line ? { ...changed, scene_summary: line, ...(info ? { scene: info } : {}) } : changed;
    }
    case 'command:activity': {
      // What another client (a tab, an MCP client, the agent) did in this session: a recent command
      // here too, finished, with who ran it and the version it made.
      const tool = typeof payload.tool === 'string' ? payload.tool : 'command';
      const version = typeof payload.version === 'string' ? payload.version : undefined;
      const run: CommandRun = {
        id: `activity-${now}-${view.commands.length}-${tool}`,
        tool,
        status: payload.ok === false ? 'error' : 'ok',
        content: [],
        started_at: now,
        by: client_label(payload.by),
        ...(version ? { version } : {}),
        ...(payload.ok === false ? { error: { code: 'save_failed', message: 'its change could not be saved as a version' } } : {}),
      };
      return { ...view, commands: [run, ...view.commands].slice(0, MAX_COMMANDS), ...(version ? { version_tick: view.version_tick + 1 } : {}) };
    }
    case 'version:created':
      return { ...view, version_tick: view.version_tick + 1 };
    case 'agent:complete':
      return payload.version ? { ...view, version_tick: view.version_tick + 1 } : view;
    case 'render:progress': {
      const p = normalize_progress(payload);
      if (!p) return view;
      const was_done = view.renders.some((job) => job.job_id === p.job_id && job.state === 'done');
      const renders = render_update(view.renders, p);
      const now_done = renders.some((job) => job.job_id === p.job_id && (job.state === 'done' || job.state === 'failed'));
      return { ...view, renders, renders_tick: view.renders_tick + (now_done && !was_done ? 1 : 0) };
    }
    case 'command:result': {
      if (!message.re) return view;
      const p = payload as CommandResultPayload;
      const failed = p.ok === false || p.is_error === true || p.error !== undefined || reports_failure(p.data);
      const next = update_command(view, message.re, (run) => ({
        ...run,
        status: failed ? 'error' : 'ok',
        content: p.content ?? [],
        ...(p.data !== undefined ? { data: p.data } : {}),
        ...(p.error ? { error: p.error } : {}),
        duration_ms: p.duration_ms ?? now - run.started_at,
      }));
      const output = failed ? undefined : render_path(p.data);
      const tool = view.commands.find((run) => run.id === message.re)?.tool ?? 'render';
      const ended = failed ? end_jobs_of(next.renders, message.re, p.error?.message ?? 'the render failed', p.error?.code) : next.renders;
      const rendered = output
        ? { ...next, renders: attach_output(next.renders, output, p.version ?? undefined, tool, message.re), renders_tick: next.renders_tick + 1 }
        : { ...next, renders: ended };
      return p.version ? { ...rendered, version_tick: rendered.version_tick + 1 } : rendered;
    }
    case 'agent:tool_result': {
      const output = payload.is_error === true || payload.ok === false ? undefined : render_path(payload.data);
      return output
        ? { ...view, renders: attach_output(view.renders, output, undefined, String(payload.call_id ?? 'render')), renders_tick: view.renders_tick + 1 }
        : view;
    }
    case 'error': {
      const body = payload as unknown as ErrorBody;
      const error: ErrorBody = { ...body, code: String(body.code ?? 'error'), message: String(body.message ?? 'error') };
      if (message.re && message.re === session_start_id) return { ...view, fatal: error };
      if (message.re && view.commands.some((run) => run.id === message.re)) {
        const renders = end_jobs_of(view.renders, message.re, error.message, error.code);
        return update_command({ ...view, renders }, message.re, (run) => ({
          ...run,
          status: 'error',
          error,
          duration_ms: now - run.started_at,
        }));
      }
      return view;
    }
    default:
      return view;
  }
}
