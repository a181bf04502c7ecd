// SPDX-License-Identifier: Apache-2.0
#include "mcp/mcp_server.h"

#include <algorithm>
#include <exception>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "mcp/json_rpc.h"
#include "mcp/session_seat.h"

namespace atelier::mcp {
namespace {

/// How long an answer that changed the client's tools waits for the client's tools/list (see
/// McpServer::track): Claude Code asks within milliseconds; a client that never asks loses this.
constexpr std::chrono::milliseconds kRelistWait{1000};

constexpr const char* kInstructions =
    "atelier joins your projects to live engines. Call list_projects or create_project, then open_project: the "
    "project's engine tools appear in tools/list (notifications/tools/list_changed says when; if they do not "
    "appear, list_engine_tools and call_engine_tool reach them). get_viewport "
    "returns the latest viewport image. Every change an engine tool makes is committed as a version; "
    "list_versions and restore_version go back in history.";

// Origin, when a client sends it, must name the host the request was sent to: a web page on
// another origin must not drive the hub through the user's browser (DNS rebinding).
bool origin_allowed(const net::HttpRequest& request) {
    const std::string_view origin = request.header("Origin");
    if (origin.empty()) {
        return true;
    }
    const std::string_view host = request.header("Host");
    return origin == fmt::format("http://{}", host) || origin == fmt::format("https://{}", host);
}

net::HttpResponse forbidden_origin() {
    return rpc_error(403, nullptr, kInvalidRequest, "Forbidden: the Origin header is not this hub's origin");
}

bool valid_id(const nlohmann::json& message) {
    const auto found = message.find("id");
    return found != message.end() && (found->is_string() || found->is_number_integer());
}

/// The protocol version a request names in `params._meta` (the stateless era): empty when it
/// names none, "?" when the field is there but not a string (the stateless checks refuse it).
std::string meta_version(const nlohmann::json& message) {
    const auto params = message.find("params");
    if (params == message.end() || !params->is_object() || !params->contains("_meta") ||
        !(*params)["_meta"].is_object()) {
        return {};
    }
    const auto& meta = (*params)["_meta"];
    const auto version = meta.find("io.modelcontextprotocol/protocolVersion");
    if (version == meta.end()) {
        return {};
    }
    return version->is_string() ? version->get<std::string>() : std::string("?");
}

/// "name version" of initialize's clientInfo, printable and short (it goes into logs).
std::string client_of(const nlohmann::json& params) {
    const auto info = params.find("clientInfo");
    if (info == params.end() || !info->is_object()) {
        return "an unnamed client";
    }
    std::string text = info->value("name", std::string("?")) + " " + info->value("version", std::string("?"));
    for (char& c : text) {
        c = c >= ' ' && c <= '~' ? c : '?';
    }
    return text.size() > 100 ? text.substr(0, 100) : text;
}

} // namespace

McpServer::McpServer(api::ApiContext& api, std::shared_ptr<sessions::SessionManager> sessions, TimerQueue& timers,
                     std::chrono::milliseconds idle, MetricsRegistry* metrics, std::chrono::milliseconds park_after)
    : m_api(api), m_timers(timers), m_idle(idle), m_park_after(park_after), m_sessions(std::move(sessions)) {
    if (metrics) {
        constexpr const char* kOpen = "Open MCP sessions (session era) and stateless seats (an open project each)";
        constexpr const char* kStarted = "MCP sessions initialized and stateless seats opened";
        m_open_sessions = &metrics->gauge("atelier_mcp_sessions", kOpen, {{"era", "session"}});
        m_open_seats = &metrics->gauge("atelier_mcp_sessions", kOpen, {{"era", "stateless"}});
        m_started_sessions = &metrics->counter("atelier_mcp_sessions_started_total", kStarted, {{"era", "session"}});
        m_started_seats = &metrics->counter("atelier_mcp_sessions_started_total", kStarted, {{"era", "stateless"}});
    }
}

void McpServer::count(const Session& session) {
    if (session.stateless) {
        spdlog::info("mcp seat {}: opened by {} (stateless {})", session.id.substr(0, 8), session.client,
                     session.protocol_version);
    } else {
        spdlog::info("mcp session {}: started by {} (protocol {})", session.id.substr(0, 8), session.client,
                     session.protocol_version);
    }
    if (auto* gauge = session.stateless ? m_open_seats : m_open_sessions) {
        gauge->add(1);
    }
    if (auto* counter = session.stateless ? m_started_seats : m_started_sessions) {
        counter->increment();
    }
}

void McpServer::forget(const Session& session, std::string_view why) {
    spdlog::info("mcp {} {}: ended ({}), client {}", session.stateless ? "seat" : "session", session.id.substr(0, 8),
                 why, session.client);
    if (auto* gauge = session.stateless ? m_open_seats : m_open_sessions) {
        gauge->add(-1);
    }
}

void McpServer::track(const std::shared_ptr<Reply>& reply, const std::shared_ptr<Session>& session) {
    reply->track_tools([weak = std::weak_ptr<Session>(session), seen = std::uint64_t{0}]() mutable {
        // A session that is gone changes no more: the last generation seen stands.
        if (auto alive = weak.lock()) {
            seen = alive->tools_generation.load();
        }
        return seen;
    });
    // A client that refreshes its list on list_changed (Claude Code) does so while the answer is
    // still open; holding the answer until its tools/list arrives means the model's next request
    // already offers the new tools. A client that does not refresh waits kRelistWait at most.
    // The session is busy meanwhile, not idle; and the wait stays well within the idle timeout.
    const auto wait = std::min(kRelistWait, m_idle / 2);
    reply->hold_after_tools_changed([weak_self = weak_from_this(), key = relist_key(*session),
                                     weak_session = std::weak_ptr<Session>(session), wait](Reply::Release release) {
        auto self = weak_self.lock();
        if (!self) {
            return release();
        }
        std::uint64_t number = 0;
        {
            const std::lock_guard lock(self->m_mutex);
            number = ++self->m_next_held;
            self->m_held.emplace(key, std::make_pair(number, [release, weak_self, weak_session] {
                                     if (auto server = weak_self.lock(); auto alive = weak_session.lock()) {
                                         const std::lock_guard touch(server->m_mutex);
                                         alive->last_used = std::chrono::steady_clock::now();
                                     }
                                     release();
                                 }));
            if (auto alive = weak_session.lock()) {
                alive->last_used = std::chrono::steady_clock::now();
            }
        }
        self->m_timers.schedule(wait, [weak_self, key, number] {
            auto server = weak_self.lock();
            if (!server) {
                return;
            }
            Reply::Release expired;
            {
                const std::lock_guard lock(server->m_mutex);
                for (auto [it, end] = server->m_held.equal_range(key); it != end; ++it) {
                    if (it->second.first == number) {
                        expired = std::move(it->second.second);
                        server->m_held.erase(it);
                        break;
                    }
                }
            }
            if (expired) {
                expired();
            }
        });
    });
}

std::string McpServer::relist_key(const Session& session) {
    return session.stateless ? "user:" + session.subject : "session:" + session.id;
}

void McpServer::relisted(const std::string& key) {
    std::vector<Reply::Release> released;
    {
        const std::lock_guard lock(m_mutex);
        for (auto [it, end] = m_held.equal_range(key); it != end; ++it) {
            released.push_back(std::move(it->second.second));
        }
        m_held.erase(key);
    }
    for (const auto& release : released) {
        release();
    }
}

void McpServer::start() {
    schedule_sweep();
    m_timers.schedule(park_interval(m_park_after), [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->park_idle();
        }
    });
}

void McpServer::schedule_sweep() {
    const auto every = std::clamp(m_idle / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(60'000));
    m_timers.schedule(every, [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->sweep();
        }
    });
}

void McpServer::sweep() {
    std::vector<std::shared_ptr<Session>> expired;
    {
        const std::lock_guard lock(m_mutex);
        const auto now = std::chrono::steady_clock::now();
        for (auto it = m_by_id.begin(); it != m_by_id.end();) {
            // A client holding the GET stream open is listening, not gone; one with a call in
            // flight (an engine call, a project still opening) is waiting for us.
            if (now - it->second->last_used > m_idle && !it->second->events->open() && !in_flight(*it->second)) {
                expired.push_back(it->second);
                it = m_by_id.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const auto& session : expired) {
        forget(*session, fmt::format("idle for {} s", m_idle.count() / 1000));
        end(session); // a client that never says DELETE does not hold its hub session forever
    }
    schedule_sweep();
}

McpServer::~McpServer() = default;

void McpServer::end(const std::shared_ptr<Session>& session) {
    session->events->close();
    detach(*session);
}

Result<std::shared_ptr<McpServer::Session>> McpServer::admit(const net::HttpRequest& request) const {
    const std::string_view version = request.header("MCP-Protocol-Version");
    if (!version.empty() && !supported_protocol_version(version)) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("Bad Request: unsupported MCP-Protocol-Version \"{}\" for a session (supported: {})",
                                version, fmt::join(kProtocolVersions, ", ")));
    }
    const std::string session_id(request.header("Mcp-Session-Id"));
    if (session_id.empty()) {
        return fail(ErrorCode::InvalidArgument, "Bad Request: the Mcp-Session-Id header is missing (initialize first)");
    }
    const std::lock_guard lock(m_mutex);
    const auto found = m_by_id.find(session_id);
    // Another user's session, or a stateless seat, answers exactly like an unknown one.
    if (found == m_by_id.end() || found->second->subject != request.subject || found->second->stateless) {
        return fail(ErrorCode::NotFound, "Not Found: no such MCP session (initialize a new one)");
    }
    found->second->last_used = std::chrono::steady_clock::now();
    return found->second;
}

void McpServer::post(net::HttpRequest& request, net::HttpResponder respond) {
    nlohmann::json id = nullptr;
    try {
        if (!origin_allowed(request)) {
            return respond.send(forbidden_origin());
        }
        auto message = nlohmann::json::parse(request.body, nullptr, false);
        if (message.is_discarded()) {
            return respond.send(rpc_error(400, nullptr, kParseError, "Parse error: the body is not JSON"));
        }
        if (!message.is_object()) {
            return respond.send(rpc_error(400, nullptr, kInvalidRequest,
                                          "Invalid Request: one JSON-RPC message per POST (no batches)"));
        }
        const bool has_id = valid_id(message);
        if (has_id) {
            id = message["id"];
        }
        if (message.value("jsonrpc", "") != "2.0" || (message.contains("id") && !has_id)) {
            return respond.send(rpc_error(400, id, kInvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message"));
        }
        const auto method_field = message.find("method");
        if (method_field == message.end()) {
            // A response to a server request; this server sends none, so there is nothing to match.
            if (has_id && (message.contains("result") || message.contains("error"))) {
                return respond.send(net::HttpResponse{.status = 202});
            }
            return respond.send(rpc_error(400, id, kInvalidRequest, "Invalid Request: no method"));
        }
        if (!method_field->is_string()) {
            return respond.send(rpc_error(400, id, kInvalidRequest, "Invalid Request: method is not a string"));
        }
        // The era is chosen per request: the stateless revision names itself in `_meta` (or the
        // version header), or asks server/discover; `initialize` and Mcp-Session-Id mean a session.
        const std::string version = meta_version(message);
        const bool stateless =
            *method_field != "initialize" && (*method_field == "server/discover" || version == kStatelessVersion ||
                                              request.header("MCP-Protocol-Version") == kStatelessVersion ||
                                              (!version.empty() && request.header("Mcp-Session-Id").empty()));
        if (stateless) {
            return post_stateless(request, message, id, std::move(respond));
        }
        post_session(request, message, id, std::move(respond));
    } catch (const std::exception& error) {
        // A responder already handed on is empty, and sending on it does nothing.
        spdlog::error("mcp: {} {}: {}", request.method, request.path, error.what());
        respond.send(rpc_error(500, id, kInternalError, "Internal error"));
    }
}

void McpServer::post_session(net::HttpRequest& request, const nlohmann::json& message, const nlohmann::json& id,
                             net::HttpResponder respond) {
    const std::string method = message["method"];
    const bool has_id = !id.is_null();
    if (method == "initialize") {
        if (!has_id) {
            return respond.send(rpc_error(400, nullptr, kInvalidRequest, "initialize must be a request"));
        }
        return respond.send(initialize(request, message));
    }
    adopt(request); // a session another hub of the cluster relays here
    auto session = admit(request);
    if (!session) {
        return respond.send(rpc_error(http_status(session.error().code), id, kInvalidRequest, session.error().message));
    }
    if (!has_id) {
        // notifications/initialized, notifications/cancelled, ...: nothing to answer.
        const auto params = message.find("params");
        if (method == "notifications/cancelled" && params != message.end() && params->is_object() &&
            params->contains("requestId")) {
            cancel_call(**session, (*params)["requestId"]);
        }
        return respond.send(net::HttpResponse{.status = 202});
    }
    const nlohmann::json params = message.value("params", nlohmann::json::object());
    if (!params.is_object()) {
        return respond.send(rpc_error(200, id, kInvalidParams, "Invalid params: params must be an object"));
    }
    if (method == "ping") {
        return respond.send(rpc_result(id, nlohmann::json::object()));
    }
    if (method == "tools/list") {
        respond.send(rpc_result(id, {{"tools", list_tools({request.subject, *session, ResultStyle::Session})}}));
        return relisted(relist_key(**session)); // after the answer: held results follow it
    }
    if (method == "tools/call") {
        // A call that asked for progress gets an SSE answer when the client takes one; any other
        // gets one too when the call changed the client's tools (list_changed goes first), so a
        // client that never opens the GET stream still hears of it.
        const bool progress =
            params.contains("_meta") && params["_meta"].is_object() && params["_meta"].contains("progressToken");
        // open_project and close_project change the tools: streamed, so that their answer can
        // wait for the client to list them again (McpServer::track).
        const bool events = accepts(request.header("Accept"), "text/event-stream");
        const bool changes_tools =
            params.contains("name") && (params["name"] == "open_project" || params["name"] == "close_project");
        const auto mode = !events                       ? ReplyMode::Json
                          : (progress || changes_tools) ? ReplyMode::Stream
                                                        : ReplyMode::JsonOrEvents;
        auto reply = std::make_shared<Reply>(std::move(respond), id, mode, ResultStyle::Session);
        return call_tool({request.subject, *session, ResultStyle::Session}, reply, params);
    }
    respond.send(rpc_error(200, id, kMethodNotFound, fmt::format("Method not found: {}", method)));
}

net::HttpResponse McpServer::initialize(const net::HttpRequest& request, const nlohmann::json& message) {
    const nlohmann::json& id = message["id"];
    const nlohmann::json params = message.value("params", nlohmann::json::object());
    if (!params.is_object()) {
        return rpc_error(200, id, kInvalidParams, "Invalid params: params must be an object");
    }
    const std::string requested =
        params.contains("protocolVersion") && params["protocolVersion"].is_string() ? params["protocolVersion"] : "";
    const std::string version = supported_protocol_version(requested) ? requested : std::string(kProtocolVersions[0]);

    auto session = std::make_shared<Session>();
    session->id = new_uuid();
    session->subject = request.subject;
    session->protocol_version = version;
    session->client = client_of(params);
    session->last_used = std::chrono::steady_clock::now();
    {
        const std::lock_guard lock(m_mutex);
        if (m_by_id.size() >= kMaxSessions) {
            return rpc_error(503, id, kInternalError, "too many MCP sessions; end some with DELETE /mcp");
        }
        m_by_id[session->id] = session;
    }
    count(*session);
    const nlohmann::json result{
        {"protocolVersion", version},
        {"capabilities", {{"tools", {{"listChanged", true}}}}},
        {"serverInfo", {{"name", "atelier"}, {"title", "atelier hub"}, {"version", ATELIER_VERSION}}},
        {"instructions", kInstructions}};
    auto response = rpc_result(id, result);
    response.headers.set("Mcp-Session-Id", session->id);
    return response;
}

void McpServer::get(net::HttpRequest& request, net::HttpResponder respond) {
    if (!origin_allowed(request)) {
        return respond.send(forbidden_origin());
    }
    if (!accepts(request.header("Accept"), "text/event-stream")) {
        return respond.send(rpc_error(406, nullptr, kInvalidRequest,
                                      "Not Acceptable: GET /mcp opens an event stream; Accept must list "
                                      "text/event-stream"));
    }
    adopt(request);
    auto session = admit(request);
    if (!session) {
        return respond.send(
            rpc_error(http_status(session.error().code), nullptr, kInvalidRequest, session.error().message));
    }
    auto stream = respond.start_sse();
    if (stream) {
        (*session)->events->attach(stream, request.header("Last-Event-ID"));
    }
}

net::HttpResponse McpServer::remove(const net::HttpRequest& request) {
    if (!origin_allowed(request)) {
        return forbidden_origin();
    }
    adopt(request);
    auto session = admit(request);
    if (!session) {
        return rpc_error(http_status(session.error().code), nullptr, kInvalidRequest, session.error().message);
    }
    {
        const std::lock_guard lock(m_mutex);
        m_by_id.erase((*session)->id);
    }
    forget(**session, "DELETE");
    end(*session);
    return net::HttpResponse{.status = 204};
}

void McpServer::tools_changed(Session& session) {
    ++session.tools_generation; // before anything is sent: a reply finishing now must see it
    if (session.stateless) {
        notify_listeners(session.subject);
        return notify_peers(session.subject); // the user's listeners on the other hubs of a cluster
    }
    session.events->publish(notification("notifications/tools/list_changed", nullptr));
}

} // namespace atelier::mcp
