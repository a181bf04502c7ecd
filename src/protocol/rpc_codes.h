// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "core/error.h"

/// JSON-RPC 2.0 error codes of the engine protocol (docs/protocol.md).
/// -32768..-32000 is reserved by JSON-RPC; the five standard codes come first, then ours, which
/// use the "server error" range -32000..-32099 that the specification leaves to implementations.
namespace atelier::protocol::rpc_code {

inline constexpr int kParseError = -32700;     ///< the frame is not JSON
inline constexpr int kInvalidRequest = -32600; ///< JSON, but not a JSON-RPC 2.0 message
inline constexpr int kMethodNotFound = -32601; ///< no such method
inline constexpr int kInvalidParams = -32602;  ///< params of the wrong shape for the method
inline constexpr int kInternalError = -32603;  ///< a bug or unexpected failure in the receiver

inline constexpr int kEngineError = -32000;       ///< the tool ran and failed; `data.traceback` may say where
inline constexpr int kEngineLost = -32001;        ///< the engine disconnected while the call was in flight
inline constexpr int kTimeout = -32002;           ///< the call did not finish within its timeout
inline constexpr int kCancelled = -32003;         ///< the call was cancelled (`$/cancel`, agent:cancel)
inline constexpr int kValidationFailed = -32004;  ///< arguments do not match the schema; `data.errors`
inline constexpr int kUnknownTool = -32005;       ///< no tool of that name; `data.tools` lists valid names
inline constexpr int kUnauthorized = -32006;      ///< missing, wrong or reused launch token
inline constexpr int kUnsupported = -32007;       ///< e.g. a protocol version the receiver does not speak
inline constexpr int kHandshakeRequired = -32008; ///< a message arrived before `engine/hello` succeeded
inline constexpr int kPayloadTooLarge = -32009;   ///< the frame exceeds the size limit
inline constexpr int kUnavailable = -32010;       ///< the receiver is shutting down or overloaded
inline constexpr int kNotFound = -32011;          ///< a named thing (session, call id, file) does not exist
inline constexpr int kConflict = -32012;          ///< the request conflicts with current state

} // namespace atelier::protocol::rpc_code

namespace atelier::protocol {

/// The JSON-RPC code that carries a hub error over the engine protocol.
[[nodiscard]] int rpc_code_for(ErrorCode code);

/// The hub error code for a JSON-RPC error received from a peer. Codes the hub does not know
/// become EngineError, because the peer that sent them is an engine.
[[nodiscard]] ErrorCode error_code_for_rpc(int rpc_code);

/// A short snake_case name for a code ("parse_error", "engine_lost"), or "unknown".
[[nodiscard]] std::string_view rpc_code_name(int rpc_code);

} // namespace atelier::protocol
