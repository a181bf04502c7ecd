// SPDX-License-Identifier: Apache-2.0
#include "sessions/session_client.h"

#include <atomic>

namespace atelier::sessions {

const char* client_kind_name(ClientKind kind) {
    switch (kind) {
    case ClientKind::Tab:
        return "tab";
    case ClientKind::Mcp:
        return "mcp";
    case ClientKind::Agent:
        return "agent";
    }
    return "unknown";
}

nlohmann::json client_json(std::uint64_t id, const ClientInfo& client) {
    nlohmann::json out{{"id", std::to_string(id)}, {"kind", client_kind_name(client.kind)}};
    if (!client.name.empty()) {
        out["name"] = client.name;
    }
    if (!client.version.empty()) {
        out["version"] = client.version;
    }
    return out;
}

void send_event(const std::shared_ptr<SessionClient>& client, const std::string& type, const nlohmann::json& payload,
                const std::string& re) {
    if (client) {
        client->deliver(SessionEvent{type, payload, re});
    }
}

void send_error_event(const std::shared_ptr<SessionClient>& client, const Error& error, const std::string& re) {
    nlohmann::json payload{{"code", error_code_name(error.code)}, {"message", error.message}};
    if (!error.details.empty()) {
        auto details = nlohmann::json::parse(error.details, nullptr, false);
        payload["details"] = details.is_discarded() ? nlohmann::json(error.details) : details;
    }
    send_event(client, "error", payload, re);
}

std::uint64_t next_client_id() {
    static std::atomic<std::uint64_t> counter{0};
    return (std::uint64_t{1} << 63U) | ++counter;
}

} // namespace atelier::sessions
