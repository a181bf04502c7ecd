// SPDX-License-Identifier: Apache-2.0
/// The browser ↔ hub protocol (DESIGN §4). Every text frame is an envelope; a reply carries `re`,
/// the id of the request it answers. Payload shapes below are what the app sends and what it reads;
/// it ignores fields it does not know, so the hub may add more.

export interface Envelope<P = unknown> {
  type: string;
  id?: string;
  re?: string;
  payload?: P;
}

// ---- browser → hub ----

export interface SessionStartPayload {
  project_id: string;
  /// Present when re-attaching (refresh or reconnect) to a session inside its grace period.
  session_id?: string;
}

export interface MessageSendPayload {
  text: string;
  attachments?: unknown[];
}

export interface CommandSendPayload {
  tool: string;
  arguments: Record<string, unknown>;
}

export type CameraAction = 'orbit' | 'pan' | 'zoom';

/// Orbit and pan carry pixel deltas of the pointer; zoom carries `delta`, positive = closer,
/// in wheel "notches" (one notch ≈ 1.0). Several pointer moves inside one animation frame are summed.
export interface ViewportCameraPayload {
  /// `reset`: back to the engine's own framing of every object (no deltas).
  action: CameraAction | 'reset';
  dx: number;
  dy: number;
  delta: number;
}

// ---- hub → browser ----

export interface ToolDescriptor {
  name: string;
  description?: string;
  addon?: string;
  input_schema?: JsonSchema;
  mutates?: boolean;
  returns_image?: boolean;
  /// The parameters in the manifest's order (the schema's `properties` come sorted by name).
  parameter_order?: string[];
}

/// How a session previews: a viewport of binary frames (no url) or a page the hub serves (url).
export interface PreviewInfo {
  kind?: string;
  url?: string;
  width?: number;
  height?: number;
}

export interface SessionReadyPayload {
  session_id: string;
  /// `app_version`: the application the engine drives (Blender's "3.4.1"), when the hub passes on
  /// the engine's hello (`blender_version` there); `version` is the engine's own.
  engine?: { kind?: string; version?: string; app_version?: string; blender_version?: string; pid?: number } | string;
  tools?: ToolDescriptor[];
  /// How the session previews: a viewport of binary frames (Blender) or a URL (Remotion player).
  /// A path (`"/preview/<session>/"`) or an object with `url`; normalized to the object.
  preview?: PreviewInfo | string | null;
  /// True when the tab re-attached to a running session (a refresh or a reconnect).
  resumed?: boolean;
  /// The engine's latest scene summary, when it has sent one (null before).
  scene?: unknown;
}

export type SessionState =
  | 'starting'
  | 'ready'
  | 'busy'
  | 'detached'
  | 'engine_lost'
  | 'reconnecting'
  | 'lost'
  | 'ended';

export interface SessionStatusPayload {
  state: SessionState | string;
  attempt?: number;
  max_attempts?: number;
  detail?: string;
}

export interface ContentBlock {
  type: 'text' | 'image' | string;
  text?: string;
  /// base64 image bytes (MCP style) …
  data?: string;
  mimeType?: string;
  mime_type?: string;
  /// … or a URL the hub serves.
  url?: string;
}

export interface AgentMessagePayload {
  delta: string;
}

export interface AgentToolCallPayload {
  call_id: string;
  tool: string;
  arguments?: Record<string, unknown>;
}

export interface ErrorBody {
  code: string;
  message: string;
  /// Validation errors: one entry per failing JSON Pointer.
  details?: { pointer?: string; path?: string; message: string }[];
  data?: { traceback?: string } & Record<string, unknown>;
}

export interface AgentToolResultPayload {
  call_id: string;
  tool?: string;
  ok?: boolean;
  is_error?: boolean;
  content?: ContentBlock[];
  data?: unknown;
  error?: ErrorBody;
  duration_ms?: number;
}

export interface AgentRetryPayload {
  attempt?: number;
  max_attempts?: number;
  delay_ms?: number;
  reason?: string;
  status?: number;
}

export interface AgentCompletePayload {
  version?: string | { rev?: string; message?: string } | null;
  usage?: { input_tokens?: number; output_tokens?: number } & Record<string, unknown>;
  cancelled?: boolean;
  stop_reason?: string;
  /// The turn this ends (the hub's `ack` of `message:send` named it).
  turn_id?: string;
}

export interface CommandResultPayload {
  tool?: string;
  ok?: boolean;
  is_error?: boolean;
  content?: ContentBlock[];
  data?: unknown;
  error?: ErrorBody;
  duration_ms?: number;
  version?: string | null;
}

export interface RegistryUpdatedPayload {
  tools: ToolDescriptor[];
}

export interface VersionCreatedPayload {
  rev?: string;
  message?: string;
}

/// Render jobs (extension of §4): one message per progress step of a render.
export interface RenderProgressPayload {
  job_id: string;
  /// 0..1
  progress?: number;
  frame?: number;
  total_frames?: number;
  state?: 'queued' | 'running' | 'done' | 'failed' | string;
  /// A project file path of the output, downloadable through /api/projects/{id}/files/{path}.
  output?: string;
  /// Or a URL the hub serves directly.
  url?: string;
  label?: string;
  message?: string;
  /// The `command:send` id of the command that runs the render (the hub adds it), absent for an
  /// agent's tool call.
  request_id?: string;
  /// The tool running the render (the hub adds it with `request_id`).
  tool?: string;
}

export type ErrorPayload = ErrorBody;

/// → hub: an error the Remotion preview page reported (the hub may start an automatic fix turn).
export interface PreviewErrorPayload {
  message: string;
  stack?: string;
  composition?: string;
}

/// Error codes with which the hub says natural-language turns need a model provider.
export const NO_MODEL_CODES: ReadonlySet<string> = new Set(['no_model', 'no_provider', 'model_unavailable']);

/// True when an error means "no model is configured": one of NO_MODEL_CODES, or the hub's generic
/// `unavailable` when its message is about the model or provider (it is also used for other things).
export function is_no_model_error(error: { code: string; message?: string }): boolean {
  if (NO_MODEL_CODES.has(error.code)) return true;
  return error.code === 'unavailable' && /model|provider|api key|without an agent/i.test(error.message ?? '');
}

// JSON Schema (draft-7 subset the hub emits).
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  enum?: unknown[];
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: boolean | JsonSchema;
  [extension: `x-${string}`]: unknown;
}
