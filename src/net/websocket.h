// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/http_types.h"

namespace atelier::net {

/// One accepted WebSocket, as handlers see it. Every method is thread-safe and never blocks:
/// work is posted to the connection's strand.
///
/// Sending is bounded so a slow client can never grow memory or slow anyone else: text messages
/// queue up to `ws_send_queue_bytes`, past which the connection is closed with 1008 and a reason
/// saying the client is not reading; binary messages (viewport frames) use a single latest-wins
/// slot, so an unsent frame is replaced by a newer one.
class WebSocketConnection {
public:
    virtual ~WebSocketConnection() = default;
    virtual void send_text(std::string message) = 0;
    virtual void send_binary(std::string message) = 0;
    /// Starts the closing handshake once the text messages already queued are written (so an error
    /// sent just before explains the close); later sends are ignored. `reason` is cut to 123 bytes.
    virtual void close(std::uint16_t code, std::string reason) = 0;
    /// Unique per process, for logs and maps.
    [[nodiscard]] virtual std::uint64_t id() const = 0;
    /// The upgrade request (path, query, headers, authenticated subject).
    [[nodiscard]] virtual const HttpRequest& request() const = 0;
};

struct CloseInfo {
    std::uint16_t code = 0; ///< the close code received or sent; 1006 when the connection just dropped
    std::string reason;
};

/// What a WebSocket route does. Callbacks for one connection arrive in order, on its strand; keep
/// them short (post long work elsewhere).
class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    virtual void on_open(const std::shared_ptr<WebSocketConnection>& /*connection*/) {}
    virtual void on_text(const std::shared_ptr<WebSocketConnection>& connection, std::string message) = 0;
    virtual void on_binary(const std::shared_ptr<WebSocketConnection>& /*connection*/, std::string /*message*/) {}
    virtual void on_close(const std::shared_ptr<WebSocketConnection>& /*connection*/, const CloseInfo& /*info*/) {}
};

} // namespace atelier::net
