// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"

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

/// One thing a session tells one client: the answer to one of its requests (`re` names the
/// request) or news for every client (`re` empty). Types and payloads are the browser protocol's
/// (docs/protocol.md: `session:ready`, `command:result`, `error`, `render:progress`, …), one
/// vocabulary for every kind of client; only the browser's adapter serialises them.
struct SessionEvent {
    std::string type;
    nlohmann::json payload;
    std::string re;
};

/// A client of sessions (DESIGN §5): a browser tab (BrowserClient), an MCP client (mcp's
/// SessionSeat). The session manager holds clients weakly; whoever owns the client (the browser
/// handler for a connection, the MCP session) keeps it alive while it is attached.
/// Both methods are called from any thread, sometimes under a session's lock: they must not
/// block and must not call back into the session manager.
class SessionClient {
public:
    virtual ~SessionClient() = default;

    /// Unique among the hub's live clients (a tab's is its connection's id).
    [[nodiscard]] virtual std::uint64_t id() const = 0;
    /// One event for this client.
    virtual void deliver(const SessionEvent& event) = 0;
    /// One viewport frame (header and image, protocol/frame_header.h); a client may skip frames.
    virtual void deliver_frame(const std::string& frame) = 0;
};

/// `{type, payload, re}` to one client; nothing when `client` is null (a turn no client asked
/// for, an automatic fix, answers through the session's broadcast only).
void send_event(const std::shared_ptr<SessionClient>& client, const std::string& type, const nlohmann::json& payload,
                const std::string& re = {});
/// `error {code, message, details?}` answering `re`.
void send_error_event(const std::shared_ptr<SessionClient>& client, const Error& error, const std::string& re);

/// A fresh id for a client that is not a connection: the top bit is set, so it never meets a
/// connection's id (those count up from 1).
[[nodiscard]] std::uint64_t next_client_id();

} // namespace atelier::sessions
