#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "net/http_types.h"
#include "net/websocket.h"

namespace atelier::mcp {

/// An MCP session's seat in a hub session: SessionManager talks to it exactly as to a browser tab
/// (envelopes on send_text, viewport frames on send_binary), and it turns the replies back into
/// answers for the MCP requests waiting on them. Thread-safe; callbacks run outside its lock, on
/// whatever thread the session manager replied from.
class VirtualTab final : public net::WebSocketConnection {
public:
    /// Gets the envelope `{type, payload, re?}` that answers a pending call.
    using Reply = std::function<void(const nlohmann::json& envelope)>;

    /// `request` stands in for the upgrade request of a real tab (its subject is the user).
    explicit VirtualTab(net::HttpRequest request);

    void send_text(std::string message) override;
    void send_binary(std::string message) override;
    void close(std::uint16_t code, std::string reason) override;
    /// Ids with the top bit set, so they never meet the ids of real connections (a counter from 1).
    [[nodiscard]] std::uint64_t id() const override { return m_id; }
    [[nodiscard]] const net::HttpRequest& request() const override { return m_request; }

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
    /// Called (outside the tab's lock) whenever the tools this tab offers may have changed: the
    /// session became ready, its registry was updated, or it was lost or ended. Set before use.
    void on_tools_changed(std::function<void()> callback);

    /// The hub session this tab is attached to (empty before the first session:ready/status).
    [[nodiscard]] std::string session_id() const;
    [[nodiscard]] std::string project_id() const;
    /// Whether a session:ready arrived and no later status said the session is gone.
    [[nodiscard]] bool ready() const;
    /// The session's tools as `Tool::to_json()` objects, from session:ready / registry:updated.
    [[nodiscard]] nlohmann::json tools() const;
    /// The latest viewport frame, header included; nothing before the first frame.
    [[nodiscard]] std::optional<std::string> latest_frame() const;
    /// A fresh `re` for a call made through this tab.
    [[nodiscard]] std::string next_request_id();

private:
    const std::uint64_t m_id;
    const net::HttpRequest m_request;
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

} // namespace atelier::mcp
