#pragma once

#include <memory>

#include "net/websocket.h"
#include "sessions/session_manager.h"

namespace atelier::sessions {

/// Serves `/ws/browser` (DESIGN §4): parses each envelope, answers malformed ones with
/// `error {code, message, re}` (the connection stays), and hands the rest to the SessionManager.
class BrowserHandler final : public net::WebSocketHandler {
public:
    explicit BrowserHandler(std::shared_ptr<SessionManager> sessions) : m_sessions(std::move(sessions)) {}

    void on_text(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override;
    void on_binary(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override;
    void on_close(const std::shared_ptr<net::WebSocketConnection>& connection, const net::CloseInfo& info) override;

private:
    std::shared_ptr<SessionManager> m_sessions;
};

} // namespace atelier::sessions
