// SPDX-License-Identifier: Apache-2.0
#include "app/bench_endpoints.h"

#include <map>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

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

class BenchCallHandler final : public net::WebSocketHandler {
public:
    explicit BenchCallHandler(engines::EngineDirectory& directory) : m_directory(directory) {}

    void on_text(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) override {
        auto request = nlohmann::json::parse(message, nullptr, false);
        if (request.is_discarded() || !request.is_object()) {
            return connection->send_text(R"({"error":"expected {tool, arguments, engine?}"})");
        }
        std::shared_ptr<engines::EngineLink> link;
        if (request.contains("engine")) {
            link = m_directory.find(request.value("engine", ""));
        } else if (auto all = m_directory.list(); !all.empty()) {
            link = all.front();
        }
        if (!link) {
            return connection->send_text(R"({"error":"no engine"})");
        }
        link->call(
            request.value("tool", ""), request.value("arguments", nlohmann::json::object()),
            [connection](Result<engines::ToolCallResult> result) {
                if (!result) {
                    return connection->send_text(error_body(result.error()));
                }
                connection->send_text(nlohmann::json{{"content", result->content}, {"data", result->data}}.dump());
            });
    }

private:
    engines::EngineDirectory& m_directory;
};

} // namespace

std::shared_ptr<net::WebSocketHandler> make_bench_call_handler(engines::EngineDirectory& directory) {
    return std::make_shared<BenchCallHandler>(directory);
}

std::shared_ptr<net::WebSocketHandler> make_echo_handler() {
    return std::make_shared<EchoHandler>();
}
std::shared_ptr<net::WebSocketHandler> make_broadcast_handler() {
    return std::make_shared<BroadcastHandler>();
}

} // namespace atelier::app
