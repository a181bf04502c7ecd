// SPDX-License-Identifier: Apache-2.0
// JSON-RPC error codes of the engine protocol (docs/protocol.md, the hub's src/protocol/rpc_codes.h).

export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  EngineError: -32000,
  Cancelled: -32003,
  UnknownTool: -32005,
  Unsupported: -32007,
  Unavailable: -32010,
  NotFound: -32011,
  Conflict: -32012,
} as const;

/** An error a request handler throws to answer with a JSON-RPC error object. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** A tool failed in a way the model can act on (code -32000, message for the model). */
export function toolError(message: string, data?: unknown): RpcError {
  return new RpcError(RpcCode.EngineError, message, data);
}

export function cancelledError(): RpcError {
  return new RpcError(RpcCode.Cancelled, 'cancelled');
}
