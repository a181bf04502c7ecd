// SPDX-License-Identifier: Apache-2.0
#include "sessions/browser_handler.h"

#include <fmt/format.h>

#include "protocol/browser_envelope.h"

namespace atelier::sessions {
namespace {

Result<std::string> required_string(const nlohmann::json& payload, const char* field) {
    if (!payload.contains(field) || !payload[field].is_string() || payload[field].get<std::string>().empty()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("payload.{}: a non-empty string is required", field));
    }
    return payload[field].get<std::string>();
}

std::string optional_string(const nlohmann::json& payload, const char* field) {
    return payload.contains(field) && payload[field].is_string() ? payload[field].get<std::string>() : std::string();
}

} // namespace

std::shared_ptr<BrowserClient> BrowserHandler::client_of(const std::shared_ptr<net::WebSocketConnection>& connection) {
    const std::lock_guard lock(m_mutex);
    auto& client = m_clients[connection->id()];
    if (!client) {
        client = std::make_shared<BrowserClient>(connection);
    }
    return client;
}

void BrowserHandler::on_text(const std::shared_ptr<net::WebSocketConnection>& websocket, std::string message) {
    const auto connection = client_of(websocket);
    auto envelope = protocol::parse_browser_envelope(message);
    if (!envelope) {
        // Try to name the request even when the envelope is incomplete, so the client can match it.
        auto raw = nlohmann::json::parse(message, nullptr, false);
        const std::string re = raw.is_object() ? optional_string(raw, "id") : "";
        return SessionManager::send_error(connection, envelope.error(), re);
    }
    const auto& user = connection->user();
    const auto& payload = envelope->payload;
    const auto& type = envelope->type;
    const auto& re = envelope->id;

    if (type == "session:start") {
        auto project = required_string(payload, "project_id");
        if (!project) {
            return SessionManager::send_error(connection, project.error(), re);
        }
        return m_sessions->start(user, *project, optional_string(payload, "session_id"), connection, re);
    }
    if (type == "command:send") {
        auto tool = required_string(payload, "tool");
        if (!tool) {
            return SessionManager::send_error(connection, tool.error(), re);
        }
        const auto arguments = payload.value("arguments", nlohmann::json::object());
        if (!arguments.is_object()) {
            return SessionManager::send_error(
                connection, Error{ErrorCode::InvalidArgument, "payload.arguments: must be an object"}, re);
        }
        // `quiet`: a studio panel's own call (the timeline's frames), not one of the recent commands.
        const auto recording =
            payload.value("quiet", false) == true ? ActivityRecording::Unrecorded : ActivityRecording::Recorded;
        return m_sessions->command(user, optional_string(payload, "session_id"), *tool, arguments, connection, re, {},
                                   recording);
    }
    if (type == "viewport:camera") {
        return m_sessions->camera(user, optional_string(payload, "session_id"), payload, connection);
    }
    if (type == "session:end") {
        m_sessions->end(user, optional_string(payload, "session_id"), connection);
        return SessionManager::send(connection, "ack", nlohmann::json::object(), re);
    }
    if (type == "message:send") {
        auto text = required_string(payload, "text");
        if (!text) {
            return SessionManager::send_error(connection, text.error(), re);
        }
        return m_sessions->message(user, optional_string(payload, "session_id"), *text,
                                   payload.value("attachments", nlohmann::json::array()), connection, re);
    }
    if (type == "viewport:configure") {
        return m_sessions->configure_viewport(user, optional_string(payload, "session_id"), payload, connection, re);
    }
    if (type == "command:cancel") {
        auto command = required_string(payload, "command");
        if (!command) {
            return SessionManager::send_error(connection, command.error(), re);
        }
        return m_sessions->cancel_command(user, optional_string(payload, "session_id"), *command, connection, re);
    }
    if (type == "agent:cancel") {
        return m_sessions->cancel_turn(user, optional_string(payload, "session_id"), connection, re);
    }
    if (type.starts_with("viewport:webrtc_")) {
        return m_sessions->webrtc(user, optional_string(payload, "session_id"), type, payload, connection, re);
    }
    if (type == "preview:error") {
        return m_sessions->report_preview_error(user, optional_string(payload, "session_id"), payload, connection, re);
    }
    SessionManager::send_error(
        connection,
        Error{
            ErrorCode::InvalidArgument,
            fmt::format("unknown message type '{}' (known: session:start, command:send, command:cancel, message:send, "
                        "agent:cancel, session:end, viewport:camera, preview:error, viewport:webrtc_*)",
                        type)},
        re);
}

void BrowserHandler::on_binary(const std::shared_ptr<net::WebSocketConnection>& websocket, std::string /*message*/) {
    SessionManager::send_error(client_of(websocket),
                               Error{ErrorCode::InvalidArgument, "browsers send text messages only"}, "");
}

void BrowserHandler::on_close(const std::shared_ptr<net::WebSocketConnection>& websocket,
                              const net::CloseInfo& /*info*/) {
    std::shared_ptr<BrowserClient> client;
    {
        const std::lock_guard lock(m_mutex);
        if (const auto it = m_clients.find(websocket->id()); it != m_clients.end()) {
            client = std::move(it->second);
            m_clients.erase(it);
        }
    }
    if (client) {
        m_sessions->detach(client);
    }
}

} // namespace atelier::sessions
