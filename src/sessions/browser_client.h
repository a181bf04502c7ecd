// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include "net/websocket.h"
#include "sessions/session_client.h"

namespace atelier::sessions {

/// A browser tab as a session client: each event becomes one browser envelope
/// (`{type, id, payload, re?}`, protocol/browser_envelope.h) on the tab's WebSocket, each frame a
/// binary message. The browser handler owns one per connection, from its first message to its close.
class BrowserClient final : public SessionClient {
public:
    explicit BrowserClient(const std::shared_ptr<net::WebSocketConnection>& connection);

    [[nodiscard]] std::uint64_t id() const override { return m_id; }
    void deliver(const SessionEvent& event) override;
    void deliver_frame(const std::string& frame) override;

    /// The signed-in user the connection's upgrade request names.
    [[nodiscard]] const std::string& user() const { return m_user; }

private:
    const std::uint64_t m_id;
    const std::string m_user;
    std::weak_ptr<net::WebSocketConnection> m_connection;
};

} // namespace atelier::sessions
