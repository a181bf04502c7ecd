// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "net/websocket.h"
#include "sessions/browser_client.h"
#include "sessions/session_manager.h"

namespace atelier::sessions {

/// Serves `/ws/browser` (DESIGN §4): parses each envelope, answers malformed ones with
/// `error {code, message, re}` (the connection stays), and hands the rest to the SessionManager
/// on behalf of the connection's BrowserClient (one per connection, dropped when it closes).
class BrowserHandler final : public net::WebSocketHandler {
public:
    explicit BrowserHandler(std::shared_ptr<SessionManager> sessions) : m_sessions(std::move(sessions)) {}

    void on_text(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override;
    void on_binary(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override;
    void on_close(const std::shared_ptr<net::WebSocketConnection>& connection, const net::CloseInfo& info) override;

private:
    /// The connection's client, made on its first message.
    std::shared_ptr<BrowserClient> client_of(const std::shared_ptr<net::WebSocketConnection>& connection);

    std::shared_ptr<SessionManager> m_sessions;
    std::mutex m_mutex;
    std::map<std::uint64_t, std::shared_ptr<BrowserClient>> m_clients; ///< by connection id
};

} // namespace atelier::sessions
