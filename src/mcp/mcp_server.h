#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "api/api_context.h"
#include "core/timer_queue.h"
#include "net/http_types.h"
#include "net/router.h"
#include "sessions/session_manager.h"

namespace atelier::mcp {

class VirtualTab;

/// The MCP server at `/mcp` (DESIGN §4, docs/mcp.md): Streamable HTTP, protocol revisions
/// 2025-11-25 and 2025-06-18, one JSON answer per POST (no SSE yet). An MCP session opens at most
/// one project at a time; its engine tools are the live session's registry, called through
/// SessionManager exactly as a browser's `command:send` (validated, committed when they mutate).
/// Thread-safe: handlers run on any network thread, replies arrive from the session manager.
class McpServer : public std::enable_shared_from_this<McpServer> {
public:
    /// MCP sessions without a request for `idle` end (checked every idle/4, at least every minute).
    McpServer(api::ApiContext& api, std::shared_ptr<sessions::SessionManager> sessions, TimerQueue& timers,
              std::chrono::milliseconds idle);
    /// Starts the idle sweep; call once after construction.
    void start();
    ~McpServer();
    McpServer(const McpServer&) = delete;
    McpServer& operator=(const McpServer&) = delete;

    /// POST /mcp: one JSON-RPC message (a request gets `application/json`, anything else 202).
    void post(net::HttpRequest& request, net::HttpResponder respond);
    /// GET /mcp: 405, this server offers no server-initiated stream yet.
    [[nodiscard]] net::HttpResponse get(const net::HttpRequest& request) const;
    /// DELETE /mcp: ends the MCP session named by `Mcp-Session-Id` (its project is detached).
    [[nodiscard]] net::HttpResponse remove(const net::HttpRequest& request);

    /// One MCP session: who opened it, the negotiated revision, and its seat in a hub session.
    struct Session {
        std::string id;
        std::string subject;
        std::string protocol_version;
        std::mutex mutex;
        std::shared_ptr<VirtualTab> tab;                 ///< guarded by `mutex`; null while no project is open
        std::chrono::steady_clock::time_point last_used; ///< guarded by McpServer's mutex
    };

private:
    /// 400/403/404 for a request that may not proceed, or the session it belongs to.
    [[nodiscard]] Result<std::shared_ptr<Session>> admit(const net::HttpRequest& request) const;
    [[nodiscard]] net::HttpResponse initialize(const net::HttpRequest& request, const nlohmann::json& message);
    void call_tool(const std::shared_ptr<Session>& session, const nlohmann::json& id, const nlohmann::json& params,
                   net::HttpResponder respond);
    [[nodiscard]] nlohmann::json list_tools(Session& session) const;
    void open_project(const std::shared_ptr<Session>& session, const nlohmann::json& id,
                      const nlohmann::json& arguments, net::HttpResponder respond);
    void engine_tool(const std::shared_ptr<Session>& session, const std::shared_ptr<VirtualTab>& tab,
                     const nlohmann::json& id, const std::string& name, const nlohmann::json& arguments,
                     net::HttpResponder respond);
    /// Leaves the hub session the MCP session is attached to, if any.
    void detach(Session& session);
    /// Ends the sessions idle for longer than `m_idle`, then schedules the next sweep.
    void sweep();

    api::ApiContext& m_api;
    TimerQueue& m_timers;
    std::chrono::milliseconds m_idle;
    std::shared_ptr<sessions::SessionManager> m_sessions;
    mutable std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<Session>> m_by_id;
};

} // namespace atelier::mcp
