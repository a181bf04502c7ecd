#pragma once

#include <array>
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

/// The MCP revisions this server speaks, newest first; the first is offered when a client asks
/// for one it does not know.
inline constexpr std::array<std::string_view, 2> kProtocolVersions{"2025-11-25", "2025-06-18"};

[[nodiscard]] bool supported_protocol_version(std::string_view version);

/// `200 application/json` carrying `{"jsonrpc":"2.0","id":id,"result":result}`.
[[nodiscard]] net::HttpResponse rpc_result(const nlohmann::json& id, const nlohmann::json& result);
/// `status` carrying `{"jsonrpc":"2.0","id":id,"error":{code,message}}` (id null when unknown).
[[nodiscard]] net::HttpResponse rpc_error(int status, const nlohmann::json& id, int code, std::string_view message);

/// A `tools/call` result: one text block, `isError` when `is_error`.
[[nodiscard]] nlohmann::json text_result(std::string_view text, bool is_error = false);

/// Standard base64 (with padding) of `bytes`, for image content.
[[nodiscard]] std::string base64(std::string_view bytes);

} // namespace atelier::mcp
