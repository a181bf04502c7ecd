// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "engines/engine_directory.h"
#include "net/websocket.h"

namespace atelier::app {

/// /ws/echo: every message comes back to its sender unchanged (the benchmark's hub path).
[[nodiscard]] std::shared_ptr<net::WebSocketHandler> make_echo_handler();

/// /ws/broadcast: every message goes to every other connection on the endpoint (binary ones
/// through the latest-wins slot). Tests use it to show a slow reader cannot stall others.
[[nodiscard]] std::shared_ptr<net::WebSocketHandler> make_broadcast_handler();

/// /ws/bench-call: each text message `{"tool", "arguments", "engine"?}` runs one tool call on
/// that engine (default: the first connected) and the reply is the result or error as JSON. The
/// benchmark's path for hub-added call latency: client → hub → engine → hub → client.
[[nodiscard]] std::shared_ptr<net::WebSocketHandler> make_bench_call_handler(engines::EngineDirectory& directory);

} // namespace atelier::app
