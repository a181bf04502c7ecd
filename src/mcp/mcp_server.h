// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "core/metrics.h"
#include "core/timer_queue.h"
#include "core/worker.h"
#include "mcp/event_stream.h"
#include "mcp/reply.h"
#include "net/http_client.h"
#include "net/http_types.h"
#include "net/router.h"
#include "sessions/session_manager.h"

namespace atelier::mcp {

class SessionSeat;

/// Headers of a request one hub of a cluster forwards to another for an MCP session it relays
/// (McpServer::relay): adopt the session named by Mcp-Session-Id (the value names the forwarding
/// hub), made by this client, parked on this project (absent when the request opens a project).
inline constexpr std::string_view kAdoptHeader = "X-Atelier-Mcp-Adopt";
inline constexpr std::string_view kClientHeader = "X-Atelier-Mcp-Client";
inline constexpr std::string_view kProjectHeader = "X-Atelier-Mcp-Project";
/// On a stateless `tools/list` one hub asks another (with net::kForwardedHeader): list the seats
/// you hold only, do not ask the other hubs in turn.
inline constexpr std::string_view kLocalHeader = "X-Atelier-Mcp-Local";
/// Where a hub tells the other hubs of its cluster that a user's stateless tools changed.
inline constexpr std::string_view kPeerToolsChangedPath = "/api/cluster/mcp-tools-changed";

/// The MCP server at `/mcp` (DESIGN §4, docs/mcp.md), Streamable HTTP in two eras chosen per
/// request: the session-based revisions 2025-11-25 and 2025-06-18 (`initialize`, Mcp-Session-Id,
/// a GET stream for `notifications/tools/list_changed`, DELETE) and the stateless 2026-07-28
/// (version in every request's `_meta`, `server/discover`, Mcp-Method/Mcp-Name headers,
/// `subscriptions/listen`; a project is open in a "seat" whose handle travels as the `session`
/// argument). A tools/call whose request has a progressToken is answered as an SSE stream that
/// carries `notifications/progress` from the engine's `render/progress`; cancelling a call
/// (`notifications/cancelled`, or closing a stateless call's stream) cancels its engine call.
/// Engine tools run through
/// SessionManager exactly as a browser's `command:send` (validated, committed when they mutate).
/// Thread-safe: handlers run on any network thread, replies arrive from the session manager.
class McpServer : public std::enable_shared_from_this<McpServer> {
public:
    /// More live MCP sessions than any local use needs; past it `initialize` is refused, so a
    /// client that never sends DELETE cannot grow the hub's memory without bound.
    static constexpr std::size_t kMaxSessions = 1024;

    /// MCP sessions without a request for `idle` (and no open GET stream) end (checked every
    /// idle/4, at least every minute). A client with no stream open and no call in flight for
    /// `park_after` (the session grace period) is parked: it leaves its hub session, whose grace
    /// then runs, and its next call re-opens the project (DESIGN §5; mcp/parking.cpp).
    /// `metrics`, when given, gets `atelier_mcp_sessions` (open MCP sessions and stateless
    /// seats, by era) and `atelier_mcp_sessions_started_total`.
    McpServer(api::ApiContext& api, std::shared_ptr<sessions::SessionManager> sessions, TimerQueue& timers,
              std::chrono::milliseconds idle, MetricsRegistry* metrics = nullptr,
              std::chrono::milliseconds park_after = std::chrono::seconds(30));
    /// Starts the idle sweep; call once after construction.
    void start();
    ~McpServer();
    McpServer(const McpServer&) = delete;
    McpServer& operator=(const McpServer&) = delete;

    /// POST /mcp: one JSON-RPC message; a request gets `application/json` or an SSE stream.
    void post(net::HttpRequest& request, net::HttpResponder respond);
    /// GET /mcp: the session's server-to-client SSE stream, resumable with `Last-Event-ID`.
    void get(net::HttpRequest& request, net::HttpResponder respond);
    /// DELETE /mcp: ends the MCP session named by `Mcp-Session-Id` (its project is detached).
    [[nodiscard]] net::HttpResponse remove(const net::HttpRequest& request);

    /// Cluster (docs/scaling.md "MCP"): what a hub that relays an MCP session tells the hub it
    /// forwards the session's requests to, so that hub can carry the session on.
    struct Relayed {
        std::string project_id; ///< the project the session has open on the other hub
        std::string protocol_version;
        std::string client;
    };
    /// The MCP session `session_id` of `subject` opens `project_id`, which is live on another hub
    /// of the cluster, and its requests are forwarded there from now on: here it leaves the
    /// project it had open, is parked on `project_id` (if the other hub goes away, its next call
    /// here re-opens the project on this hub), and its GET stream ends, so the client re-opens it
    /// (forwarded). nullopt when there is no such session of that subject. Any thread.
    [[nodiscard]] std::optional<Relayed> relay(const std::string& session_id, const std::string& subject,
                                               const std::string& project_id);
    /// Whether `session_id` of `subject` is relayed, and where to: a relayed session counts as used.
    [[nodiscard]] std::optional<Relayed> relayed(const std::string& session_id, const std::string& subject);
    /// The session is served here again (its project is no longer live on another hub): its next
    /// call re-opens the project it was parked on. Any thread.
    void unrelay(const std::string& session_id, const std::string& subject);

    /// The other hubs of a cluster, as the stateless era needs them (docs/scaling.md "MCP"): a
    /// user's seats may live on several hubs, so a stateless `tools/list` lists the seats of every
    /// hub that is up, and a change of a user's tools is told to the listeners of every hub.
    struct PeerHubs {
        /// The URLs of the other hubs that are up (blocking: a database read).
        std::function<Result<std::vector<std::string>>()> others;
        /// This hub's URL (marks the requests it sends, kForwardedHeader).
        std::function<std::string()> self;
        std::string admin_token;   ///< how this hub authenticates to the others (they share it)
        std::string admin_subject; ///< whom a peer's notice must come from
    };
    /// Joins this server to the hubs of a cluster; call once, before serving.
    void set_peers(PeerHubs peers);
    /// POST kPeerToolsChangedPath `{"subject"}`, from another hub of the cluster (admin token): the
    /// user's tools changed there; the user's `subscriptions/listen` streams here hear it.
    [[nodiscard]] net::HttpResponse peer_tools_changed(const net::HttpRequest& request);

    /// One MCP session (session-based era) or one seat (stateless era): who opened it, and its
    /// place in a hub session.
    struct Session {
        std::string id; ///< the Mcp-Session-Id, or the seat's handle
        std::string subject;
        std::string protocol_version;
        std::string client; ///< "name version" from initialize's clientInfo (for logs)
        bool stateless = false;
        /// Counts the changes of the tools this session sees (a Reply compares it before and after).
        std::atomic<std::uint64_t> tools_generation{0};
        const std::shared_ptr<EventStream> events = std::make_shared<EventStream>(); ///< the GET stream
        std::mutex mutex;
        std::shared_ptr<SessionSeat> tab;         ///< guarded by `mutex`; null while no project is open
        std::map<std::string, std::string> calls; ///< guarded by `mutex`: JSON-RPC id (dumped) → engine call id
        std::chrono::steady_clock::time_point last_used; ///< guarded by McpServer's mutex
        /// While parked (guarded by `mutex`): the project the client had open, and the engine tools
        /// it last saw (still listed, so a parked client's tool list does not change).
        std::string parked_project;
        nlohmann::json parked_tools;
        /// Calls waiting for a parked project to re-open (guarded by `mutex`); each gets the
        /// reason when it could not, empty when it did.
        std::vector<std::function<void(const std::string& failure)>> reopening;
        /// Guarded by `mutex`: while set, this session's requests are forwarded to the hub where
        /// this project is live (relay()).
        std::string relayed_project;
    };

private:
    /// Who a tools/call or tools/list acts for: the user, and the MCP session (session era) or the
    /// seat named by the `session` argument (stateless era; null when none was named).
    struct Caller {
        std::string subject;
        std::shared_ptr<Session> session;
        ResultStyle style = ResultStyle::Session;
        std::string client; ///< stateless: who is calling, for the log of a new seat
    };
    /// A `subscriptions/listen` stream (stateless era).
    struct Listener {
        nlohmann::json id;
        std::shared_ptr<net::SseStream> stream;
    };

    // mcp_server.cpp: the session-based era.
    /// 400/403/404 for a request that may not proceed, or the session it belongs to.
    [[nodiscard]] Result<std::shared_ptr<Session>> admit(const net::HttpRequest& request) const;
    void post_session(net::HttpRequest& request, const nlohmann::json& message, const nlohmann::json& id,
                      net::HttpResponder respond);
    [[nodiscard]] net::HttpResponse initialize(const net::HttpRequest& request, const nlohmann::json& message);
    /// Ends sessions (DELETE, idle): their project is detached, their stream closed.
    void end(const std::shared_ptr<Session>& session);
    /// Ends the sessions idle for longer than `m_idle`, then schedules the next sweep.
    void sweep();
    void schedule_sweep();
    /// How often park_idle looks: a quarter of the wait, between 50 ms and 5 s.
    [[nodiscard]] static std::chrono::milliseconds park_interval(std::chrono::milliseconds park_after);

    // cluster_relay.cpp: MCP sessions carried across the hubs of a cluster.
    /// A request another hub forwarded with kAdoptHeader for an MCP session unknown here: the
    /// session is made here with the id, protocol version and client it had there (parked on the
    /// project kProjectHeader names, if any), owned by the request's subject.
    void adopt(const net::HttpRequest& request);
    /// The session with this id if `subject` owns it (session era); null otherwise.
    [[nodiscard]] std::shared_ptr<Session> own_session(const std::string& session_id, const std::string& subject) const;

    // stateless.cpp: the 2026-07-28 era.
    void post_stateless(net::HttpRequest& request, const nlohmann::json& message, const nlohmann::json& id,
                        net::HttpResponder respond);
    void listen(const std::string& subject, const nlohmann::json& id, const nlohmann::json& params,
                net::HttpResponder respond);
    /// The user's seat with handle `handle`, or null.
    [[nodiscard]] std::shared_ptr<Session> seat(const std::string& subject, const std::string& handle) const;
    /// A seat of `caller` under `handle`, not yet registered.
    [[nodiscard]] static std::shared_ptr<Session> make_seat(const Caller& caller, std::string handle);
    /// The answer to a stateless tools/list (private to the user: ttl 0).
    [[nodiscard]] static net::HttpResponse tools_list_answer(const nlohmann::json& id, nlohmann::json tools);
    /// A new seat for a stateless open_project of `project_id` (its handle names the project).
    [[nodiscard]] Result<std::shared_ptr<Session>> new_seat(const Caller& caller, const std::string& project_id);
    /// A seat handle this hub does not know (made by another hub, or before this hub restarted, or
    /// ended while idle): the seat is carried on here, parked on the project its handle names, so
    /// the call re-opens it. Null when the handle names no project, was closed here
    /// (close_project), or is in use.
    [[nodiscard]] std::shared_ptr<Session> adopt_seat(const Caller& caller, const std::string& handle);
    /// Ends a seat (close_project, or a seat that could not be carried on): its project is detached.
    /// `closed`: the client closed it, so its handle is never carried on again.
    void drop_seat(const std::shared_ptr<Session>& seat, std::string_view why, bool closed = false);

    // cluster_seats.cpp: the stateless era across the hubs of a cluster.
    /// What a stateless tools/list sends on to the other hubs.
    struct PeerList {
        nlohmann::json id;
        std::string body;
        std::string authorization;
        std::string cookie;
    };
    /// Answers a stateless tools/list with `tools` (this hub's seats) and the engine tools of the
    /// user's seats on the other hubs (on the peers' worker: database and HTTP requests block).
    void list_across_hubs(nlohmann::json tools, PeerList request, net::HttpResponder respond);
    /// Tells the other hubs that `subject`'s tools changed (on the peers' worker).
    void notify_peers(const std::string& subject);
    /// notifications/tools/list_changed to the user's listeners.
    void notify_listeners(const std::string& subject);

    // mcp_tools.cpp: the tools.
    [[nodiscard]] nlohmann::json list_tools(const Caller& caller) const;
    /// `reopened`: a parked project was re-opened for this call already.
    void call_tool(Caller caller, const std::shared_ptr<Reply>& reply, const nlohmann::json& params,
                   bool reopened = false);
    void open_project(Caller caller, const std::shared_ptr<Reply>& reply, const nlohmann::json& arguments);
    /// How an engine tool was named: as the tools/call name, or as call_engine_tool's `tool`
    /// argument (then an unknown tool is an error result the model reads, not a protocol error).
    enum class Naming { Direct, Hub };
    /// Runs engine tool `name`; `params` are the tools/call params (for `_meta.progressToken`).
    void engine_call(const Caller& caller, const std::shared_ptr<Reply>& reply, const std::string& name,
                     const nlohmann::json& arguments, const nlohmann::json& params, Naming naming);
    /// list_engine_tools: the open project's engine tools, as tools/list would list them.
    [[nodiscard]] nlohmann::json engine_tools_result(const Caller& caller) const;
    void call_engine_tool(const Caller& caller, const std::shared_ptr<SessionSeat>& tab,
                          const std::shared_ptr<Reply>& reply, const std::string& name, const nlohmann::json& arguments,
                          const nlohmann::json& progress_token);
    [[nodiscard]] nlohmann::json versions_tool(const Caller& caller, const std::string& name,
                                               const nlohmann::json& arguments);
    /// `notifications/cancelled`: stops the engine call of request `request_id`, if one runs.
    void cancel_call(Session& session, const nlohmann::json& request_id);
    /// Leaves the hub session the MCP session is attached to, if any.
    void detach(Session& session);
    /// The tools `session` offers may have changed: tell its client.
    void tools_changed(Session& session);
    // parking.cpp: clients that went quiet leave their hub session; their next call comes back.
    /// Parks the clients idle for `m_park_after`, then schedules the next look.
    void park_idle();
    /// Parks `session` if it holds an open project, is ready, and has no call in flight.
    void park(Session& session);
    /// Runs `then` at once, or, when `caller`'s project is parked, once it has been re-opened
    /// (`then` gets the reason when it could not be: the caller answers with it).
    void unparked(const Caller& caller, std::function<void(const std::string& failure)> then);
    /// The engine tools `session` offers: its open project's, or the parked project's.
    [[nodiscard]] static nlohmann::json tools_of(Session* session);
    /// The project `session` has open or parked; empty when none.
    [[nodiscard]] static std::string project_of(Session* session);
    /// Whether `session` has a call in flight: an engine call, or a project opening.
    [[nodiscard]] static bool in_flight(Session& session);
    /// The call that arrived or finished now: the client is not idle.
    void touch(Session& session);
    /// A new session or seat: counted and logged. `forget` (the session ended): the same, undone.
    void count(const Session& session);
    void forget(const Session& session, std::string_view why);
    /// From now on, `reply` precedes its answer with list_changed if `session`'s tools change; then
    /// it holds the answer until the client lists its tools (relisted()) or kRelistWait passed.
    void track(const std::shared_ptr<Reply>& reply, const std::shared_ptr<Session>& session);
    /// Who waits for whose tools/list: the MCP session's id, or (stateless) the user.
    [[nodiscard]] static std::string relist_key(const Session& session);
    /// The client `key` listed its tools: the answers held for it go out.
    void relisted(const std::string& key);

    api::ApiContext& m_api;
    TimerQueue& m_timers;
    std::chrono::milliseconds m_idle;
    std::chrono::milliseconds m_park_after;
    std::shared_ptr<sessions::SessionManager> m_sessions;
    mutable std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<Session>> m_by_id;
    std::multimap<std::string, Listener> m_listeners; ///< by subject
    /// Seat handles closed by close_project, newest last (bounded): never carried on again.
    std::set<std::string> m_closed_seats;
    std::deque<std::string> m_closed_order;
    /// Set by set_peers in a cluster (guarded by m_mutex; all null on a hub on its own).
    struct Peers {
        std::shared_ptr<const PeerHubs> hubs;
        std::shared_ptr<Worker> work; ///< where the fan-outs run; its jobs never hold it, nor the server
        std::shared_ptr<net::HttpClient> client;
    };
    Peers m_peers;
    [[nodiscard]] Peers peers() const;
    /// Held answers by relist_key(), each with its number (the timer that ends its wait names it).
    std::multimap<std::string, std::pair<std::uint64_t, Reply::Release>> m_held;
    std::uint64_t m_next_held = 0;
    Gauge* m_open_sessions = nullptr; ///< metrics, when given
    Gauge* m_open_seats = nullptr;
    Counter* m_started_sessions = nullptr;
    Counter* m_started_seats = nullptr;
};

} // namespace atelier::mcp
