// SPDX-License-Identifier: Apache-2.0
import { clean_error_text } from '../preview/error_text';
import type { ChatAction } from './chat_state';
import type {
  AgentCompletePayload,
  AgentMessagePayload,
  AgentRetryPayload,
  AgentToolCallPayload,
  AgentToolResultPayload,
  Envelope,
  ErrorBody,
} from '../protocol/messages';
import { is_no_model_error } from '../protocol/messages';

/// A turn the hub started by itself to fix a preview error is marked `auto_fix: true` on its first
/// agent message (or on `agent:turn`): the chat then labels it as an automatic fix, once per turn.
export function auto_fix_action_for(message: Envelope): ChatAction | null {
  const payload = message.payload as { auto_fix?: unknown; fix?: unknown; max_fixes?: unknown } | undefined;
  const numbered = message.type === 'agent:turn' && typeof payload?.fix === 'number';
  if ((payload?.auto_fix !== true && !numbered) || !message.type.startsWith('agent:') || message.type === 'agent:complete') return null;
  return {
    type: 'auto_fix',
    ...(typeof payload?.fix === 'number' ? { fix: payload.fix } : {}),
    ...(typeof payload?.max_fixes === 'number' ? { max_fixes: payload.max_fixes } : {}),
  };
}

/// Everything one hub message does to the chat, in order: the automatic-fix label first (so it
/// stands before the turn's text), then the message's own action.
export function chat_actions_for(message: Envelope, now: number, is_chat_request: (id: string) => boolean): ChatAction[] {
  const actions: ChatAction[] = [];
  const auto_fix = auto_fix_action_for(message);
  if (auto_fix) actions.push(auto_fix);
  const action = chat_action_for(message, now, is_chat_request);
  if (action) actions.push(action);
  return actions;
}

/// Which hub messages move the chat, and how. `user_ids` tells whether an `error` reply answers a
/// chat message (otherwise it belongs to another panel, e.g. a direct command).
export function chat_action_for(message: Envelope, now: number, is_chat_request: (id: string) => boolean): ChatAction | null {
  const payload = (message.payload ?? {}) as Record<string, unknown>;
  switch (message.type) {
    case 'agent:message':
      return { type: 'delta', text: String((payload as unknown as AgentMessagePayload).delta ?? '') };
    case 'agent:tool_call':
      return { type: 'tool_call', payload: payload as unknown as AgentToolCallPayload, now };
    case 'agent:tool_result':
      return { type: 'tool_result', payload: payload as unknown as AgentToolResultPayload, now };
    case 'agent:retry':
      return { type: 'retry', payload: payload as AgentRetryPayload };
    case 'ack': {
      // The hub's answer to message:send names the turn it became.
      const turn_id = payload.turn_id;
      return message.re && is_chat_request(message.re) && typeof turn_id === 'string' ? { type: 'turn_assigned', id: message.re, turn_id } : null;
    }
    case 'agent:complete':
      return { type: 'complete', payload: payload as AgentCompletePayload };
    case 'agent:turn':
      return typeof payload.turn_id === 'string' && typeof payload.text === 'string'
        ? { type: 'turn_started', turn_id: payload.turn_id, text: payload.text }
        : null;
    case 'preview:error': {
      // The engine's own report (a bundling or compile error); the page's go the other way.
      const message = clean_error_text(typeof payload.message === 'string' && payload.message ? payload.message : 'the preview failed');
      return {
        type: 'preview_error',
        error: {
          message,
          ...(typeof payload.stack === 'string' ? { stack: payload.stack } : {}),
          ...(typeof payload.composition === 'string' ? { composition: payload.composition } : {}),
        },
      };
    }
    case 'error': {
      const body = payload as unknown as ErrorBody;
      const error = { code: String(body.code ?? 'error'), message: String(body.message ?? 'the hub reported an error') };
      if (message.re) return is_chat_request(message.re) ? { type: 'error', error, re: message.re } : null;
      // Errors without `re` about the agent (the provider failed mid-turn, no model, …).
      if (error.code.startsWith('agent') || error.code.includes('model') || error.code.includes('provider') || error.code === 'cancelled' || is_no_model_error(error)) {
        return { type: 'error', error };
      }
      return null;
    }
    default:
      return null;
  }
}
