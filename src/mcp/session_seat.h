// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sessions/session_client.h"

namespace atelier::mcp {

/// An MCP session's seat in a hub session: a session client (sessions/session_client.h) that
/// turns the session's events into answers for the MCP requests waiting on them, and keeps what
/// MCP needs between requests (the session's tools, its latest frame). Thread-safe; callbacks run
/// outside its lock, on whatever thread the session manager delivered from.
class SessionSeat final : public sessions::SessionClient {
public:
    /// Gets the event (`command:result`, `session:ready`, `error`, …) that answers a pending call.
    using Reply = std::function<void(const sessions::SessionEvent& event)>;

    SessionSeat();

    [[nodiscard]] std::uint64_t id() const override { return m_id; }
    void deliver(const sessions::SessionEvent& event) override;
    void deliver_frame(const std::string& frame) override;

    /// `reply` gets the `command:result` or `error` whose `re` is `re`.
    void expect_reply(const std::string& re, Reply reply);
    /// `reply` gets the next `session:ready`, or the `error` answering `re`, or a `session:status`
    /// saying the session was lost or ended, whichever comes first.
    void expect_ready(const std::string& re, Reply reply);
    /// Answers every pending call with an `error` envelope (the MCP session is going away).
    void fail_pending(const std::string& why);

    /// Gets the `render:progress` payloads (`{call_id, done, total}`) of engine call `call_id`.
    using Progress = std::function<void(const nlohmann::json& payload)>;
    void watch_progress(const std::string& call_id, Progress progress);
    void forget_progress(const std::string& call_id);
    /// Called (outside the seat's lock) whenever the tools this seat offers may have changed: the
    /// session became ready, its registry was updated, or it was lost or ended. Set before use.
    void on_tools_changed(std::function<void()> callback);

    /// The hub session this seat is attached to (empty before the first session:ready/status).
    [[nodiscard]] std::string session_id() const;
    [[nodiscard]] std::string project_id() const;
    /// Whether an open waits for its session:ready (expect_ready was called and not yet answered).
    [[nodiscard]] bool expecting_ready() const;
    /// Whether a session:ready arrived and no later status said the session is gone.
    [[nodiscard]] bool ready() const;
    /// The session's tools as `Tool::to_json()` objects, from session:ready / registry:updated.
    [[nodiscard]] nlohmann::json tools() const;
    /// The latest viewport frame, header included; nothing before the first frame.
    [[nodiscard]] std::optional<std::string> latest_frame() const;
    /// A fresh `re` for a call made through this seat.
    [[nodiscard]] std::string next_request_id();

private:
    const std::uint64_t m_id;
    mutable std::mutex m_mutex;
    std::map<std::string, Reply> m_replies;
    std::optional<std::pair<std::string, Reply>> m_ready_waiter; ///< (re, reply)
    std::map<std::string, Progress> m_progress;                  ///< by engine call id
    std::function<void()> m_tools_changed;
    std::string m_session_id;
    std::string m_project_id;
    bool m_ready = false;
    nlohmann::json m_tools = nlohmann::json::array();
    std::optional<std::string> m_frame;
    std::uint64_t m_next_request = 0;
};

/// Who an MCP client is, for its hub session's presence: its clientInfo "name version".
[[nodiscard]] sessions::ClientInfo mcp_client(const std::string& client);

} // namespace atelier::mcp
