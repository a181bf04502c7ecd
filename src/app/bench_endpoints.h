#pragma once

#include <memory>

#include "net/websocket.h"

namespace atelier::app {

/// /ws/echo: every message comes back to its sender unchanged (the benchmark's hub path).
[[nodiscard]] std::shared_ptr<net::WebSocketHandler> make_echo_handler();

/// /ws/broadcast: every message goes to every other connection on the endpoint (binary ones
/// through the latest-wins slot). Tests use it to show a slow reader cannot stall others.
[[nodiscard]] std::shared_ptr<net::WebSocketHandler> make_broadcast_handler();

} // namespace atelier::app
