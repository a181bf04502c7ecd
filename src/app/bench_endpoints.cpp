#include "app/bench_endpoints.h"

#include <map>
#include <mutex>
#include <vector>

namespace atelier::app {
namespace {

class EchoHandler final : public net::WebSocketHandler {
public:
    void on_text(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override {
        connection->send_text(std::move(message));
    }
    void on_binary(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override {
        connection->send_binary(std::move(message));
    }
};

class BroadcastHandler final : public net::WebSocketHandler {
public:
    void on_open(const std::shared_ptr<net::WebSocketConnection>& connection) override {
        const std::lock_guard lock(m_mutex);
        m_connections[connection->id()] = connection;
    }
    void on_text(const std::shared_ptr<net::WebSocketConnection>& sender, std::string message) override {
        for (const auto& connection : others(sender)) {
            connection->send_text(message);
        }
    }
    void on_binary(const std::shared_ptr<net::WebSocketConnection>& sender, std::string message) override {
        for (const auto& connection : others(sender)) {
            connection->send_binary(message);
        }
    }
    void on_close(const std::shared_ptr<net::WebSocketConnection>& connection, const net::CloseInfo&) override {
        const std::lock_guard lock(m_mutex);
        m_connections.erase(connection->id());
    }

private:
    std::vector<std::shared_ptr<net::WebSocketConnection>>
    others(const std::shared_ptr<net::WebSocketConnection>& sender) {
        const std::lock_guard lock(m_mutex);
        std::vector<std::shared_ptr<net::WebSocketConnection>> out;
        for (const auto& [id, weak] : m_connections) {
            if (auto connection = weak.lock(); connection && id != sender->id()) {
                out.push_back(std::move(connection));
            }
        }
        return out;
    }

    std::mutex m_mutex;
    std::map<std::uint64_t, std::weak_ptr<net::WebSocketConnection>> m_connections;
};

} // namespace

std::shared_ptr<net::WebSocketHandler> make_echo_handler() {
    return std::make_shared<EchoHandler>();
}
std::shared_ptr<net::WebSocketHandler> make_broadcast_handler() {
    return std::make_shared<BroadcastHandler>();
}

} // namespace atelier::app
