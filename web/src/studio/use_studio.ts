// SPDX-License-Identifier: Apache-2.0
import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import { hub } from '../api/projects';
import { chat_actions_for } from '../chat/chat_events';
import { chat_reducer, initial_chat_state } from '../chat/chat_state';
import type { CommandResultPayload, ErrorBody, PreviewErrorPayload, SessionReadyPayload, ViewportCameraPayload } from '../protocol/messages';
import { browser_socket_url, ProtocolClient, ProtocolError } from '../protocol/protocol_client';
import { camera_moved, forget_camera_moved, forget_session_id, load_session_id, mark_camera_moved, save_session_id } from '../lib/session_store';
import { frame_request } from './frame_request';
import { describe_command, save_version_label } from './version_labels';
import { restore_with_session } from './restore';
import { initial_session_view, session_reducer } from './session_state';

/// Error codes with which the hub says a stored session id is gone (grace period over, hub restarted).
const STALE_SESSION_CODES = new Set(['session_not_found', 'session_ended', 'session_expired', 'not_found']);

const COMMAND_TIMEOUT_MS = 120_000;

/// Wires one project's studio to the hub: a ProtocolClient on /ws/browser that (re-)attaches with
/// `session:start`, and the two pure reducers that turn hub messages into what the panels show.
export function use_studio(project_id: string) {
  const [view, dispatch_view] = useReducer(session_reducer, initial_session_view);
  const [chat, dispatch_chat] = useReducer(chat_reducer, initial_chat_state);
  const chat_ids = useRef(new Set<string>());
  const session_start_id = useRef<string | undefined>(undefined);

  // The project in the URL lets a load balancer route the socket to the project's hub (docs/scaling.md).
  const socket_url = `${browser_socket_url(window.location)}?project=${encodeURIComponent(project_id)}`;
  const client = useMemo(() => new ProtocolClient({ url: socket_url }), [socket_url]);

  const start_session = useCallback(() => {
    const session_id = load_session_id(project_id);
    session_start_id.current = client.send('session:start', { project_id, ...(session_id ? { session_id } : {}) });
  }, [client, project_id]);

  useEffect(() => {
    const off = [
      client.on_open(start_session),
      client.on_state((state) => {
        dispatch_view({ type: 'connection', state });
        if (state.kind === 'waiting') dispatch_chat({ type: 'connection_lost' });
      }),
      client.on_message((message) => {
        const now = Date.now();
        if (message.type === 'session:ready' || message.type === 'session:status') {
          // Saved as soon as the hub names it (session:status "starting" does): a refresh while the
          // engine starts re-attaches instead of launching a second one.
          const payload = message.payload as SessionReadyPayload | undefined;
          if (payload?.session_id) save_session_id(project_id, payload.session_id);
          if (message.type === 'session:ready' && payload?.resumed && payload.session_id) {
            // The hub does not replay the last frame to a tab that re-attaches (a refresh).
            client.send('viewport:camera', frame_request(camera_moved(payload.session_id)), { queue: false });
          }
        }
        if (message.type === 'error' && message.re && message.re === session_start_id.current) {
          const code = String((message.payload as ErrorBody | undefined)?.code ?? '');
          if (STALE_SESSION_CODES.has(code) && load_session_id(project_id)) {
            // The session we wanted to re-attach to is gone: start a fresh one.
            forget_session_id(project_id);
            start_session();
            return;
          }
        }
        dispatch_view({ type: 'message', message, now, ...(session_start_id.current ? { session_start_id: session_start_id.current } : {}) });
        for (const action of chat_actions_for(message, now, (id) => chat_ids.current.has(id))) dispatch_chat(action);
      }),
    ];
    client.start();
    return () => {
      for (const unsubscribe of off) unsubscribe();
      client.stop();
    };
  }, [client, project_id, start_session]);

  useEffect(() => {
    let cancelled = false;
    hub
      .list_messages(project_id)
      .then((messages) => {
        if (!cancelled) dispatch_chat({ type: 'history', messages });
      })
      .catch(() => {
        // No stored transcript (or an older hub): start with an empty chat.
      });
    return () => {
      cancelled = true;
    };
  }, [project_id]);

  const send_message = useCallback(
    (text: string) => {
      const id = client.send('message:send', { text });
      chat_ids.current.add(id);
      dispatch_chat({ type: 'user_sent', id, text });
    },
    [client],
  );

  const cancel_turn = useCallback(() => {
    client.send('agent:cancel', {});
    dispatch_chat({ type: 'cancel_requested' });
  }, [client]);

  const run_command = useCallback(
    (tool: string, args: Record<string, unknown>) => {
      const { id, reply } = client.request('command:send', { tool, arguments: args }, { timeout_ms: COMMAND_TIMEOUT_MS });
      dispatch_view({ type: 'command_sent', id, tool, now: Date.now() });
      reply.then((answer) => {
        // The version this command made gets a label that says what it did.
        const version = (answer.payload as { version?: unknown } | undefined)?.version;
        if (typeof version === 'string' && version) save_version_label(project_id, version, describe_command(tool, args));
      }, () => undefined);
      reply.catch((error: unknown) => {
        // `error` replies are already in the stream; timeouts and drops are only known here.
        if (error instanceof ProtocolError && error.code !== 'closed' && !error.body) {
          dispatch_view({ type: 'command_failed', id, error: { code: error.code, message: error.message }, now: Date.now() });
        }
      });
      return id;
    },
    [client, project_id],
  );

  const send_camera = useCallback(
    (payload: ViewportCameraPayload) => {
      const session_id = load_session_id(project_id);
      if (session_id && payload.action === 'reset') forget_camera_moved(session_id);
      else if (session_id) mark_camera_moved(session_id);
      return client.send('viewport:camera', payload, { queue: false });
    },
    [client, project_id],
  );

  /// The banner's retry: reconnect at once if the socket is down, else ask for the session again.
  const retry = useCallback(() => {
    if (client.connection_state().kind === 'open') start_session();
    else client.reconnect_now();
  }, [client, start_session]);

  const end_session = useCallback(() => {
    client.send('session:end', {});
    forget_session_id(project_id);
  }, [client, project_id]);

  /// An error of the Remotion preview page: to the hub (which may start an automatic fix turn)
  /// and into the chat, where the fix will show.
  const report_preview_error = useCallback(
    (error: PreviewErrorPayload) => {
      const { reply } = client.request(
        'preview:error',
        {
          message: error.message,
          ...(error.stack ? { stack: error.stack } : {}),
          ...(error.composition ? { composition: error.composition } : {}),
        },
        { timeout_ms: COMMAND_TIMEOUT_MS },
      );
      dispatch_chat({ type: 'preview_error', error });
      reply
        .then((answer) => {
          const fix = (answer.payload as { fix?: unknown } | undefined)?.fix;
          if (typeof fix === 'string') dispatch_chat({ type: 'preview_fix', fix });
        })
        .catch(() => {
          // No answer (the connection dropped): the notice stays without the hub's plan.
        });
    },
    [client],
  );

  /// Runs a tool for a panel of the studio (the code editor's file tools) without listing it among
  /// the recent commands: resolves with the result, rejects with the hub's error.
  const call_tool = useCallback(
    async (tool: string, args: Record<string, unknown>): Promise<CommandResultPayload> => {
      const { reply } = client.request('command:send', { tool, arguments: args, quiet: true }, { timeout_ms: COMMAND_TIMEOUT_MS });
      const answer = await reply;
      const payload = (answer.payload ?? {}) as CommandResultPayload;
      if (payload.ok === false || payload.is_error === true || payload.error) {
        throw new ProtocolError(payload.error?.code ?? 'tool_error', payload.error?.message ?? 'the tool failed', payload.error);
      }
      return payload;
    },
    [client],
  );

  /// Cancels a running command of this tab (a render): the hub answers it with `cancelled`.
  const cancel_command = useCallback((id: string) => client.send('command:cancel', { command: id }), [client]);

  const dismiss_command = useCallback((id: string) => dispatch_view({ type: 'dismiss_command', id }), []);

  const live = useRef(false);
  live.current = view.session_id !== undefined && !['ended', 'lost'].includes(String(view.status.state));

  /// Restores a version; the hub reopens it in the live engine (see studio/restore.ts).
  const restore_version = useCallback(
    async (rev: string, label: string) => {
      dispatch_view({ type: 'restoring', label });
      try {
        await restore_with_session(rev, {
          restore: (target) => hub.restore_version(project_id, target),
          live: () => live.current,
          start_session: () => {
            forget_session_id(project_id);
            start_session();
          },
        });
      } finally {
        dispatch_view({ type: 'restore_done' });
      }
    },
    [project_id, start_session],
  );

  return {
    view,
    chat,
    client,
    send_message,
    cancel_turn,
    run_command,
    send_camera,
    retry,
    end_session,
    dismiss_command,
    cancel_command,
    call_tool,
    restore_version,
    report_preview_error,
  };
}

export type Studio = ReturnType<typeof use_studio>;
