#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace atelier::sessions {

/// Who is attached to a session (DESIGN §5: tabs, MCP clients and the agent are its clients).
enum class ClientKind { Tab, Mcp, Agent };

[[nodiscard]] const char* client_kind_name(ClientKind kind);

/// How a client is shown to the others: `session:presence`, and `by` on command results and
/// versions. MCP clients are named by their `clientInfo`.
struct ClientInfo {
    ClientKind kind = ClientKind::Tab;
    std::string name;    ///< e.g. "claude-code"; empty for a tab
    std::string version; ///< the client's version, when it said
};

/// `{id, kind, name?, version?}`; `id` is the connection's id (0 for the agent).
[[nodiscard]] nlohmann::json client_json(std::uint64_t id, const ClientInfo& client);

/// The agent as the author of its tool calls and versions.
[[nodiscard]] inline ClientInfo agent_client() {
    return ClientInfo{ClientKind::Agent, "agent", {}};
}

} // namespace atelier::sessions
