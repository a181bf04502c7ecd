// SPDX-License-Identifier: Apache-2.0
import { split_error } from '../preview/error_text';
import type {
  AgentCompletePayload,
  AgentRetryPayload,
  AgentToolCallPayload,
  AgentToolResultPayload,
  ContentBlock,
  ErrorBody,
} from '../protocol/messages';
import { is_no_model_error } from '../protocol/messages';

/// The chat transcript as the user sees it, built from the stream of agent events by a pure
/// reducer (no DOM, no socket): text deltas accumulate into one assistant block, each tool call
/// becomes a card that its result completes, and user turns queue while a turn runs — the hub
/// runs one turn at a time and takes queued messages in order, and so does this model of it.

/// `cancelled`: a queued message that a cancel dropped before it ran.
export type UserStatus = 'queued' | 'active' | 'done' | 'failed' | 'cancelled';

export interface UserEntry {
  kind: 'user';
  id: string;
  text: string;
  status: UserStatus;
  error?: string;
}

export interface AssistantEntry {
  kind: 'assistant';
  id: string;
  text: string;
  streaming: boolean;
}

export type ToolStatus = 'running' | 'ok' | 'error' | 'interrupted';

export interface ToolEntry {
  kind: 'tool';
  id: string;
  call_id: string;
  tool: string;
  arguments: Record<string, unknown>;
  status: ToolStatus;
  content: ContentBlock[];
  error?: ErrorBody;
  duration_ms?: number;
  started_at: number;
}

export interface RetryEntry {
  kind: 'retry';
  id: string;
  attempt?: number;
  max_attempts?: number;
  delay_ms?: number;
  reason: string;
}

export interface NoticeEntry {
  kind: 'notice';
  id: string;
  tone: 'error' | 'info';
  code?: string;
  text: string;
  /// A second line: for a preview error, what the hub does about it (an automatic fix or why not).
  detail?: string;
  /// Preformatted lines under the text: the code frame of a preview error.
  pre?: string;
  /// A preview error's message: the same error from the page and from the engine is one notice.
  error_message?: string;
}

export interface TurnEndEntry {
  kind: 'turn_end';
  id: string;
  cancelled: boolean;
  version?: string;
  output_tokens?: number;
}

/// The start of a turn the hub began by itself to fix an error of the preview (`auto_fix: true`).
export interface AutoFixEntry {
  kind: 'auto_fix';
  id: string;
  /// "automatic fix 1 of 2", when the hub numbers it (`agent:turn {fix, max_fixes}`).
  fix?: number;
  max_fixes?: number;
}

export type ChatEntry = UserEntry | AssistantEntry | ToolEntry | RetryEntry | NoticeEntry | TurnEndEntry | AutoFixEntry;

export type TurnState = 'idle' | 'running' | 'cancelling';

export interface ChatState {
  entries: ChatEntry[];
  turn: TurnState;
  /// Ids of user entries waiting for their turn, oldest first.
  queue: string[];
  /// The user entry whose turn is running.
  active?: string;
  /// Set when the hub says that natural-language turns need a model provider.
  no_model?: { code: string; message: string };
  /// The hub's turn id of each user message (from its `ack`), so that an `agent:complete` ends
  /// the right turn: a cancel ends the running turn and every queued one, each with its own.
  turns: Record<string, string>;
  /// The running turn is an automatic fix and is already marked as one.
  auto_fix?: boolean;
  next_key: number;
}

export const initial_chat_state: ChatState = { entries: [], turn: 'idle', queue: [], turns: {}, next_key: 1 };

export interface HistoryAction {
  tool: string;
  arguments?: Record<string, unknown>;
  ok?: boolean;
  error?: string;
}

export interface HistoryMessage {
  role: string;
  text: string;
  /// What the agent did in that message (the hub's `tool_actions`), shown as finished tool cards.
  tool_actions?: HistoryAction[];
}

export type ChatAction =
  | { type: 'user_sent'; id: string; text: string }
  | { type: 'turn_assigned'; id: string; turn_id: string }
  | { type: 'delta'; text: string }
  | { type: 'tool_call'; payload: AgentToolCallPayload; now: number }
  | { type: 'tool_result'; payload: AgentToolResultPayload; now: number }
  | { type: 'retry'; payload: AgentRetryPayload }
  | { type: 'complete'; payload: AgentCompletePayload }
  | { type: 'error'; error: ErrorBody; re?: string }
  | { type: 'auto_fix'; fix?: number; max_fixes?: number }
  | { type: 'preview_error'; error: { message: string; stack?: string; composition?: string } }
  | { type: 'preview_fix'; fix: string }
  | { type: 'turn_started'; turn_id: string; text: string }
  | { type: 'cancel_requested' }
  | { type: 'connection_lost' }
  | { type: 'history'; messages: HistoryMessage[] };

function key(state: ChatState, prefix: string): [string, number] {
  return [`${prefix}${state.next_key}`, state.next_key + 1];
}

function finish_streaming(entries: ChatEntry[]): ChatEntry[] {
  const last = entries[entries.length - 1];
  if (last && last.kind === 'assistant' && last.streaming) {
    return [...entries.slice(0, -1), { ...last, streaming: false }];
  }
  return entries;
}

function set_user_status(entries: ChatEntry[], id: string | undefined, status: UserStatus, error?: string): ChatEntry[] {
  if (!id) return entries;
  return entries.map((entry) =>
    entry.kind === 'user' && entry.id === id ? { ...entry, status, ...(error ? { error } : {}) } : entry,
  );
}

/// Ends the running turn and starts the next queued message, if any.
function advance(state: ChatState, entries: ChatEntry[]): ChatState {
  entries = finish_streaming(entries);
  // Tool calls still running when a turn ends will never get a result.
  entries = entries.map((entry) =>
    entry.kind === 'tool' && entry.status === 'running' ? { ...entry, status: 'interrupted' } : entry,
  );
  const [next, ...rest] = state.queue;
  if (next) {
    return { ...state, entries: set_user_status(entries, next, 'active'), queue: rest, active: next, turn: 'running' };
  }
  const { active: _ended, auto_fix: _fixed, ...without_active } = state;
  return { ...without_active, entries, queue: [], turn: 'idle' };
}

/// What the hub does about a preview error (the `fix` of its `ack` to `preview:error`).
export function preview_fix_text(fix: string): string | undefined {
  switch (fix) {
    case 'started':
      return 'The agent is fixing it (automatic fix).';
    case 'queued':
      return 'The agent will fix it when the running turn ends.';
    case 'duplicate':
      return 'An automatic fix is already on its way.';
    case 'limit':
      return 'No automatic fix: the automatic fixes after your last message are used up. Say what to change.';
    case 'no_model':
      return 'No automatic fix: no model is configured.';
    default:
      return undefined;
  }
}

function version_label(version: AgentCompletePayload['version']): string | undefined {
  if (!version) return undefined;
  if (typeof version === 'string') return version;
  return version.rev;
}

export function chat_reducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'user_sent': {
      const busy = state.turn !== 'idle';
      const entry: UserEntry = { kind: 'user', id: action.id, text: action.text, status: busy ? 'queued' : 'active' };
      const entries = [...finish_streaming(state.entries), entry];
      if (busy) return { ...state, entries, queue: [...state.queue, action.id] };
      return { ...state, entries, active: action.id, turn: 'running' };
    }
    case 'delta': {
      if (!action.text) return state;
      const last = state.entries[state.entries.length - 1];
      if (last && last.kind === 'assistant' && last.streaming) {
        return { ...state, entries: [...state.entries.slice(0, -1), { ...last, text: last.text + action.text }] };
      }
      const [id, next_key] = key(state, 'a');
      const entry: AssistantEntry = { kind: 'assistant', id, text: action.text, streaming: true };
      return { ...state, next_key, entries: [...state.entries, entry], turn: state.turn === 'idle' ? 'running' : state.turn };
    }
    case 'tool_call': {
      const { call_id, tool, arguments: args } = action.payload;
      const existing = state.entries.find((e) => e.kind === 'tool' && e.call_id === call_id);
      if (existing) return state;
      const entry: ToolEntry = {
        kind: 'tool',
        id: `t${call_id}`,
        call_id,
        tool,
        arguments: args ?? {},
        status: 'running',
        content: [],
        started_at: action.now,
      };
      return { ...state, entries: [...finish_streaming(state.entries), entry] };
    }
    case 'tool_result': {
      const result = action.payload;
      const failed = result.ok === false || result.is_error === true || result.error !== undefined || reports_failure(result.data);
      const patch = (entry: ToolEntry): ToolEntry => ({
        ...entry,
        status: failed ? 'error' : 'ok',
        content: result.content ?? [],
        ...(result.error ? { error: result.error } : {}),
        duration_ms: result.duration_ms ?? Math.max(0, action.now - entry.started_at),
      });
      let found = false;
      const entries = state.entries.map((entry) => {
        if (entry.kind === 'tool' && entry.call_id === result.call_id) {
          found = true;
          return patch(entry);
        }
        return entry;
      });
      if (found) return { ...state, entries };
      // A result whose call we never saw (joined mid-turn): show it on its own.
      const orphan: ToolEntry = {
        kind: 'tool',
        id: `t${result.call_id}`,
        call_id: result.call_id,
        tool: result.tool ?? 'tool',
        arguments: {},
        status: 'running',
        content: [],
        started_at: action.now,
      };
      return { ...state, entries: [...finish_streaming(state.entries), patch(orphan)] };
    }
    case 'retry': {
      const [id, next_key] = key(state, 'r');
      const p = action.payload;
      const entry: RetryEntry = {
        kind: 'retry',
        id,
        reason: p.reason ?? (p.status ? `HTTP ${p.status}` : 'the model provider did not answer'),
        ...(p.attempt !== undefined ? { attempt: p.attempt } : {}),
        ...(p.max_attempts !== undefined ? { max_attempts: p.max_attempts } : {}),
        ...(p.delay_ms !== undefined ? { delay_ms: p.delay_ms } : {}),
      };
      return { ...state, next_key, entries: [...finish_streaming(state.entries), entry] };
    }
    case 'turn_assigned':
      return { ...state, turns: { ...state.turns, [action.turn_id]: action.id } };
    case 'complete': {
      const p = action.payload;
      const owner = p.turn_id ? state.turns[p.turn_id] : undefined;
      if (owner && owner !== state.active && state.queue.includes(owner)) {
        // A queued turn that ended before it ran (a cancel drops the queue): the running turn goes on.
        return { ...state, entries: set_user_status(state.entries, owner, 'cancelled'), queue: state.queue.filter((q) => q !== owner) };
      }
      const [id, next_key] = key(state, 'e');
      const version = version_label(p.version);
      const entry: TurnEndEntry = {
        kind: 'turn_end',
        id,
        cancelled: p.cancelled === true || p.stop_reason === 'cancelled' || state.turn === 'cancelling',
        ...(version ? { version } : {}),
        ...(typeof p.usage?.output_tokens === 'number' ? { output_tokens: p.usage.output_tokens } : {}),
      };
      const entries = set_user_status([...finish_streaming(state.entries), entry], state.active, 'done');
      return advance({ ...state, next_key }, entries);
    }
    case 'error': {
      const { error, re } = action;
      if (error.code === 'cancelled' && state.turn !== 'idle' && (!re || re === state.active)) {
        // A cancelled turn is not a failure.
        return chat_reducer(state, { type: 'complete', payload: { cancelled: true } });
      }
      const no_model = is_no_model_error(error);
      const [id, next_key] = key(state, 'n');
      const base: ChatState = { ...state, next_key, ...(no_model ? { no_model: { code: error.code, message: error.message } } : {}) };
      const target = re && state.entries.some((e) => e.kind === 'user' && e.id === re) ? re : undefined;
      const notice: NoticeEntry = { kind: 'notice', id, tone: 'error', code: error.code, text: error.message };
      // Without a model the panel-wide notice says it all; repeating it per message would be noise.
      const reason = no_model ? 'no model is configured' : error.message;
      if (target && state.queue.includes(target)) {
        // A queued message the hub refused: drop it from the queue, the running turn goes on.
        const entries = set_user_status(state.entries, target, 'failed', reason);
        return { ...base, entries, queue: state.queue.filter((q) => q !== target) };
      }
      if (target || (state.turn !== 'idle' && !re)) {
        // The running turn failed.
        const entries = set_user_status(no_model ? state.entries : [...state.entries, notice], target ?? state.active, 'failed', reason);
        return advance(base, entries);
      }
      return no_model ? base : { ...base, entries: [...finish_streaming(state.entries), notice] };
    }
    case 'auto_fix': {
      if (state.auto_fix) return state;
      const [id, next_key] = key(state, 'f');
      const entry: AutoFixEntry = {
        kind: 'auto_fix',
        id,
        ...(action.fix !== undefined ? { fix: action.fix } : {}),
        ...(action.max_fixes !== undefined ? { max_fixes: action.max_fixes } : {}),
      };
      return {
        ...state,
        next_key,
        auto_fix: true,
        entries: [...finish_streaming(state.entries), entry],
        turn: state.turn === 'idle' ? 'running' : state.turn,
      };
    }
    case 'preview_error': {
      const { message, composition } = action.error;
      const { headline, detail } = split_error(message);
      const text = `The preview failed${composition ? ` (${composition})` : ''}: ${headline}`;
      // One notice per error: the same error again (the page's and the engine's report of one
      // broken file, Vite reloading it twice) since the last message adds nothing.
      for (let i = state.entries.length - 1; i >= 0; i--) {
        const entry = state.entries[i]!;
        if (entry.kind === 'user') break;
        if (entry.kind === 'notice' && entry.code === 'preview_error' && entry.error_message === message) return state;
      }
      const [id, next_key] = key(state, 'p');
      const entry: NoticeEntry = { kind: 'notice', id, tone: 'error', code: 'preview_error', text, error_message: message, ...(detail ? { pre: detail } : {}) };
      return { ...state, next_key, entries: [...finish_streaming(state.entries), entry] };
    }
    case 'preview_fix': {
      // The hub's answer to the last preview:error this tab sent.
      const detail = preview_fix_text(action.fix);
      if (!detail) return state;
      const index = state.entries.map((e) => e.kind === 'notice' && e.code === 'preview_error').lastIndexOf(true);
      if (index < 0) return state;
      const entries = state.entries.map((entry, i) => (i === index && entry.kind === 'notice' ? { ...entry, detail } : entry));
      return { ...state, entries };
    }
    case 'turn_started': {
      // Every turn is announced; one this tab did not send (another tab's, an MCP client's) shows
      // its prompt here too. Automatic fixes are labelled instead (their prompt is the hub's).
      if (state.auto_fix || Object.prototype.hasOwnProperty.call(state.turns, action.turn_id) || !action.text) return state;
      const [id, next_key] = key(state, 'o');
      const entry: UserEntry = { kind: 'user', id, text: action.text, status: 'active' };
      const entries = [...finish_streaming(state.entries), entry];
      const turns = { ...state.turns, [action.turn_id]: id };
      if (state.turn !== 'idle') return { ...state, next_key, turns, entries };
      return { ...state, next_key, turns, entries, active: id, turn: 'running' };
    }
    case 'cancel_requested':
      return state.turn === 'running' ? { ...state, turn: 'cancelling' } : state;
    case 'connection_lost': {
      // The hub keeps the turn running; only the stream is gone. Close the open text block so the
      // next delta after re-attaching does not glue onto it.
      return { ...state, entries: finish_streaming(state.entries) };
    }
    case 'history': {
      if (state.entries.length > 0) return state;
      let next_key = state.next_key;
      const entries: ChatEntry[] = [];
      for (const message of action.messages) {
        if (!message.text) continue;
        const id = `h${next_key++}`;
        if (message.role === 'user') entries.push({ kind: 'user', id, text: message.text, status: 'done' });
        else if (message.role === 'assistant') {
          for (const [index, action] of (message.tool_actions ?? []).entries()) {
            entries.push({
              kind: 'tool',
              id: `${id}t${index}`,
              call_id: `${id}t${index}`,
              tool: action.tool,
              arguments: action.arguments ?? {},
              status: action.ok === false ? 'error' : 'ok',
              content: [],
              ...(action.ok === false ? { error: { code: 'error', message: action.error ?? 'failed' } } : {}),
              started_at: 0,
            });
          }
          entries.push({ kind: 'assistant', id, text: message.text, streaming: false });
        }
      }
      return { ...state, entries, next_key };
    }
  }
}

/// A result that ran but says it found problems (`data.ok === false`, e.g. a typecheck with
/// errors) is shown as a failure, not as a green success.
export function reports_failure(data: unknown): boolean {
  return !!data && typeof data === 'object' && (data as { ok?: unknown }).ok === false;
}
