// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace atelier {

/// Every failure the hub reports belongs to one of these codes. The code decides the HTTP status,
/// the WebSocket close code and the JSON name through one table (error.cpp), so a failure reads
/// the same whichever protocol carries it.
enum class ErrorCode {
    InvalidArgument,
    InvalidConfig,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    HeadersTooLarge,
    ProtocolError,
    Unsupported,
    Timeout,
    Cancelled,
    Unavailable,
    EngineLost,
    EngineError,
    Internal,
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    /// Structured detail as JSON text (e.g. validation errors `[{pointer, message}]`, a traceback);
    /// empty when there is none. Kept as text so this header stays light.
    std::string details = {};
};

/// The wire name of a code, e.g. "not_found".
[[nodiscard]] std::string_view error_code_name(ErrorCode code);

/// The HTTP status that answers a request failing with `code`.
[[nodiscard]] int http_status(ErrorCode code);

/// The WebSocket close code used when `code` ends a connection (RFC 6455 §7.4).
[[nodiscard]] std::uint16_t websocket_close_code(ErrorCode code);

/// `{"error":{"code":"...","message":"...","details"?:...}}` as JSON text.
[[nodiscard]] std::string error_body(const Error& error);

} // namespace atelier
