// SPDX-License-Identifier: Apache-2.0
#include "engines/engine_directory.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "protocol/rpc_codes.h"

namespace atelier::engines {

using protocol::RpcId;
namespace rpc_code = protocol::rpc_code;

EngineDirectory::EngineDirectory(LaunchTokens& tokens, TimerQueue& timers, Options options)
    : m_tokens(tokens), m_timers(timers), m_options(options) {}

void EngineDirectory::on_open(const std::shared_ptr<net::WebSocketConnection>& connection) {
    std::weak_ptr<net::WebSocketConnection> weak = connection;
    const auto hello_timeout = m_options.hello_timeout;
    const auto timer = m_timers.schedule(hello_timeout, [this, weak, hello_timeout] {
        auto alive = weak.lock();
        if (!alive) {
            return;
        }
        {
            const std::lock_guard lock(m_mutex);
            const auto it = m_connections.find(alive->id());
            if (it == m_connections.end() || it->second.link) {
                return;
            }
        }
        spdlog::warn("engine connection {}: no engine/hello within {} ms, closing", alive->id(), hello_timeout.count());
        alive->close(1008, "engine/hello expected as the first message");
    });
    const std::lock_guard lock(m_mutex);
    m_connections[connection->id()].hello_timer = timer;
}

bool EngineDirectory::count_error(const std::shared_ptr<net::WebSocketConnection>& connection) {
    int errors = 0;
    {
        const std::lock_guard lock(m_mutex);
        errors = ++m_connections[connection->id()].protocol_errors;
    }
    if (errors > m_options.max_protocol_errors) {
        spdlog::warn("engine connection {}: {} protocol errors, disconnecting", connection->id(), errors);
        connection->close(1008, "too many protocol errors");
        return true;
    }
    return false;
}

void EngineDirectory::on_text(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) {
    auto parsed = protocol::parse_rpc_message(message);
    if (!parsed) {
        if (!count_error(connection)) {
            connection->send_text(protocol::serialize_error(parsed.error().id, parsed.error().error));
        }
        return;
    }
    std::shared_ptr<EngineLink> link;
    {
        const std::lock_guard lock(m_mutex);
        link = m_connections[connection->id()].link;
    }
    if (link) {
        return link->handle(std::move(*parsed));
    }
    // Before the handshake only engine/hello is allowed.
    if (auto* request = std::get_if<protocol::RpcRequest>(&*parsed); request && request->method == "engine/hello") {
        return hello(connection, *request);
    }
    const RpcId id =
        std::holds_alternative<protocol::RpcRequest>(*parsed) ? std::get<protocol::RpcRequest>(*parsed).id : RpcId{};
    refuse(connection, id, rpc_code::kHandshakeRequired, "engine/hello must be the first message", 1008);
}

void EngineDirectory::refuse(const std::shared_ptr<net::WebSocketConnection>& connection, const RpcId& id, int code,
                             const std::string& message, std::uint16_t close_code) {
    spdlog::warn("engine connection {} refused: {}", connection->id(), message);
    connection->send_text(protocol::serialize_error(id, {code, message, std::nullopt}));
    connection->close(close_code, message);
}

void EngineDirectory::hello(const std::shared_ptr<net::WebSocketConnection>& connection,
                            const protocol::RpcRequest& request) {
    const auto& params = request.params;
    if (!params.is_object() || !params.contains("token") || !params["token"].is_string() || !params.contains("kind") ||
        !params["kind"].is_string()) {
        return refuse(connection, request.id, rpc_code::kInvalidParams,
                      "engine/hello needs {token, kind, version, protocol, instructions}", 1008);
    }
    const int protocol =
        params.contains("protocol") && params["protocol"].is_number_integer() ? params["protocol"].get<int>() : -1;
    if (protocol != kProtocolVersion) {
        return refuse(connection, request.id, rpc_code::kUnsupported,
                      fmt::format("unsupported engine protocol version {}; this hub speaks version {}",
                                  params.contains("protocol") ? params["protocol"].dump() : "(none)", kProtocolVersion),
                      1002);
    }
    const auto grant = m_tokens.consume(params["token"].get<std::string>());
    if (!grant) {
        return refuse(connection, request.id, rpc_code::kUnauthorized, "launch token is wrong, expired or already used",
                      1008);
    }
    const std::string kind = params["kind"].get<std::string>();
    if (!grant->kind.empty() && grant->kind != kind) {
        return refuse(connection, request.id, rpc_code::kUnauthorized,
                      fmt::format("this launch token is for a '{}' engine, not '{}'", grant->kind, kind), 1008);
    }

    EngineInfo info;
    info.id = new_uuid();
    info.kind = kind;
    info.version = params.value("version", "");
    info.instructions = params.value("instructions", "");
    // The application the engine drives ({"name": "Blender", "version": "3.4.1"}), when it says.
    if (const auto app = params.find("app"); app != params.end() && app->is_object()) {
        const auto text = [&](const char* key) {
            const auto it = app->find(key);
            return it != app->end() && it->is_string() ? it->get<std::string>().substr(0, 64) : std::string();
        };
        info.app_name = text("name");
        info.app_version = text("version");
    }
    info.session_id = grant->session_id;
    info.protocol = protocol;
    info.connected_at = std::chrono::system_clock::now();
    auto link = std::make_shared<EngineLink>(info, connection, m_timers, m_options.call_timeout);
    std::vector<ConnectListener> listeners;
    {
        const std::lock_guard lock(m_mutex);
        auto& state = m_connections[connection->id()];
        m_timers.cancel(state.hello_timer);
        state.link = link;
        m_engines[info.id] = link;
        listeners = m_listeners;
    }
    connection->send_text(protocol::serialize_result(request.id, {{"engine_id", info.id},
                                                                  {"session_id", info.session_id},
                                                                  {"protocol", kProtocolVersion},
                                                                  {"hub_version", ATELIER_VERSION}}));
    spdlog::info("engine {} connected: kind {}, version {}, session {}", info.id, info.kind, info.version,
                 info.session_id.empty() ? "-" : info.session_id);
    for (const auto& listener : listeners) {
        listener(link);
    }
}

void EngineDirectory::on_binary(const std::shared_ptr<net::WebSocketConnection>& connection, std::string message) {
    std::shared_ptr<EngineLink> link;
    {
        const std::lock_guard lock(m_mutex);
        link = m_connections[connection->id()].link;
    }
    if (!link) {
        return refuse(connection, RpcId{}, rpc_code::kHandshakeRequired, "engine/hello must be the first message",
                      1008);
    }
    link->handle_frame(std::move(message));
}

void EngineDirectory::on_close(const std::shared_ptr<net::WebSocketConnection>& connection,
                               const net::CloseInfo& info) {
    Connection state;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_connections.find(connection->id());
        if (it == m_connections.end()) {
            return;
        }
        state = std::move(it->second);
        m_connections.erase(it);
        if (state.link) {
            m_engines.erase(state.link->info().id);
        }
    }
    m_timers.cancel(state.hello_timer);
    if (state.link) {
        spdlog::info("engine {} disconnected ({} {})", state.link->info().id, info.code, info.reason);
        state.link->disconnected(
            Error{ErrorCode::EngineLost, fmt::format("connection closed ({} {})", info.code, info.reason)});
    }
}

std::shared_ptr<EngineLink> EngineDirectory::find(const std::string& engine_id) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_engines.find(engine_id);
    return it == m_engines.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<EngineLink>> EngineDirectory::list() const {
    const std::lock_guard lock(m_mutex);
    std::vector<std::shared_ptr<EngineLink>> out;
    for (const auto& [id, link] : m_engines) {
        out.push_back(link);
    }
    return out;
}

void EngineDirectory::on_connected(ConnectListener listener) {
    const std::lock_guard lock(m_mutex);
    m_listeners.push_back(std::move(listener));
}

} // namespace atelier::engines
