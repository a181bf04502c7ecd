// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "net/http_types.h"

namespace atelier::mcp {

// JSON-RPC 2.0 error codes (the standard ones; MCP uses -32602 for an unknown tool too).
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// Codes the 2026-07-28 revision defines (its reserved range -32020..-32099).
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kUnsupportedProtocolVersion = -32022;

/// The session-based MCP revisions this server speaks, newest first; the first is offered when an
/// `initialize` asks for one it does not know.
inline constexpr std::array<std::string_view, 2> kProtocolVersions{"2025-11-25", "2025-06-18"};
/// The stateless revision: no initialize, the version in every request's `_meta`.
inline constexpr std::string_view kStatelessVersion = "2026-07-28";
/// Every revision, newest first, as `server/discover` and version errors list them.
inline constexpr std::array<std::string_view, 3> kAllVersions{"2026-07-28", "2025-11-25", "2025-06-18"};

/// Whether `version` is one of the session-based revisions (kProtocolVersions).
[[nodiscard]] bool supported_protocol_version(std::string_view version);

/// `{"jsonrpc":"2.0","id":id,"result":result}`.
[[nodiscard]] nlohmann::json result_message(const nlohmann::json& id, const nlohmann::json& result);
/// `{"jsonrpc":"2.0","id":id,"error":{code,message[,data]}}` (id null when unknown).
[[nodiscard]] nlohmann::json error_message(const nlohmann::json& id, int code, std::string_view message,
                                           const nlohmann::json& data);
/// `{"jsonrpc":"2.0","method":method[,"params":params]}`.
[[nodiscard]] nlohmann::json notification(std::string_view method, const nlohmann::json& params);

/// `200 application/json` carrying result_message(id, result).
[[nodiscard]] net::HttpResponse rpc_result(const nlohmann::json& id, const nlohmann::json& result);
/// `status` carrying error_message(id, code, message, data).
[[nodiscard]] net::HttpResponse rpc_error(int status, const nlohmann::json& id, int code, std::string_view message);
[[nodiscard]] net::HttpResponse rpc_error(int status, const nlohmann::json& id, int code, std::string_view message,
                                          const nlohmann::json& data);

/// A `tools/call` result: one text block, `isError` when `is_error`.
[[nodiscard]] nlohmann::json text_result(std::string_view text, bool is_error = false);

/// Standard base64 (with padding) of `bytes`, for image content.
[[nodiscard]] std::string base64(std::string_view bytes);
/// The bytes of standard base64 `text`; false when it is not valid base64.
[[nodiscard]] bool base64_decode(std::string_view text, std::string& out);

/// Whether an `Accept` header value lists `media_type` (or `*/*`).
[[nodiscard]] bool accepts(std::string_view accept, std::string_view media_type);

} // namespace atelier::mcp
