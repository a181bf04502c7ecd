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

std::uint64_t next_client_id() {
    static std::atomic<std::uint64_t> counter{0};
    return (std::uint64_t{1} << 63U) | ++counter;
}

} // namespace atelier::sessions
