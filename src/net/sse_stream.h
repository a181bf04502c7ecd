// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string_view>

namespace atelier::net {

/// A Server-Sent Events response that stays open. Thread-safe; sends never block. A heartbeat
/// comment goes out every `sse_heartbeat_s` so proxies keep the stream open. Writes are bounded
/// like WebSocket text messages: a client that stops reading is disconnected.
class SseStream {
public:
    virtual ~SseStream() = default;
    /// Sends one event; `data` may hold newlines (each becomes its own `data:` line).
    virtual void send(std::string_view event, std::string_view data, std::string_view id = {}) = 0;
    virtual void close() = 0;
    /// Called once, on the stream's strand, when the client goes away or close() completes.
    virtual void on_close(std::function<void()> callback) = 0;
};

} // namespace atelier::net
