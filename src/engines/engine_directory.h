// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/timer_queue.h"
#include "engines/engine_link.h"
#include "engines/launch_tokens.h"
#include "net/websocket.h"

namespace atelier::engines {

/// The engine protocol version this hub speaks (DESIGN §4).
inline constexpr int kProtocolVersion = 1;

/// Serves `/ws/engine`: checks each engine's `engine/hello` (first message, one-time launch
/// token, protocol version), then hands its messages to its EngineLink. Keeps the connected
/// engines, by id. Malformed frames get JSON-RPC errors (-32700/-32600/-32601) and the connection
/// stays up, unless an engine keeps sending them.
class EngineDirectory final : public net::WebSocketHandler {
public:
    struct Options {
        std::chrono::milliseconds call_timeout{60'000};
        std::chrono::milliseconds hello_timeout{10'000};
        int max_protocol_errors = 20;
    };
    EngineDirectory(LaunchTokens& tokens, TimerQueue& timers, Options options);

    void on_open(const std::shared_ptr<net::WebSocketConnection>& connection) override;
    void on_text(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override;
    void on_binary(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override;
    void on_close(const std::shared_ptr<net::WebSocketConnection>& connection, const net::CloseInfo& info) override;

    [[nodiscard]] std::shared_ptr<EngineLink> find(const std::string& engine_id) const;
    [[nodiscard]] std::vector<std::shared_ptr<EngineLink>> list() const;

    using ConnectListener = std::function<void(const std::shared_ptr<EngineLink>&)>;
    /// Called after each engine's hello succeeds (the sessions follow their engines this way).
    void on_connected(ConnectListener listener);

private:
    struct Connection {
        std::shared_ptr<EngineLink> link; ///< null until the hello succeeded
        int protocol_errors = 0;
        TimerQueue::TimerId hello_timer = 0;
    };
    void hello(const std::shared_ptr<net::WebSocketConnection>& connection, const protocol::RpcRequest& request);
    void refuse(const std::shared_ptr<net::WebSocketConnection>& connection, const protocol::RpcId& id, int code,
                const std::string& message, std::uint16_t close_code);
    /// Counts a protocol error; true when the engine has sent too many and was disconnected.
    bool count_error(const std::shared_ptr<net::WebSocketConnection>& connection);

    LaunchTokens& m_tokens;
    TimerQueue& m_timers;
    Options m_options;
    mutable std::mutex m_mutex;
    std::map<std::uint64_t, Connection> m_connections; ///< by WebSocket connection id
    std::map<std::string, std::shared_ptr<EngineLink>> m_engines;
    std::vector<ConnectListener> m_listeners;
};

} // namespace atelier::engines
