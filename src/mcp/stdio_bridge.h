// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "core/result.h"

namespace atelier::mcp {

struct StdioBridgeOptions {
    /// The hub: `http://HOST:PORT` (then `/mcp` is added) or the full MCP endpoint URL.
    std::string url;
    /// A bearer token of the hub; sent only in the Authorization header.
    std::string token;
};

/// The endpoint URL for `url` (`/mcp` added when `url` names no path); InvalidArgument when it is
/// not an http:// or https:// URL.
[[nodiscard]] Result<std::string> mcp_endpoint(const std::string& url);

/// `atelier mcp`: an MCP stdio transport for clients that only launch processes, relayed to a
/// running hub's Streamable HTTP endpoint. Reads newline-delimited JSON-RPC messages from
/// `input_fd`, POSTs each to the hub (keeping the Mcp-Session-Id of `initialize`; a stateless
/// request gets its MCP-Protocol-Version/Mcp-Method/Mcp-Name headers from its body), writes the
/// answers — JSON bodies and every message of SSE answers — one per line to `output_fd`, and,
/// once the session is initialized, relays the hub's GET stream (list_changed), reconnecting
/// with Last-Event-ID. Only protocol messages go to `output_fd`; diagnostics go to stderr.
/// Returns the exit status: 0 when the input ends, 1 when the hub cannot be reached or refuses
/// the token (each request in flight first gets a JSON-RPC error saying why).
[[nodiscard]] int run_stdio_bridge(const StdioBridgeOptions& options, int input_fd, int output_fd);

} // namespace atelier::mcp
