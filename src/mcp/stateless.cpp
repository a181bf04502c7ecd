// SPDX-License-Identifier: Apache-2.0
// The stateless revision 2026-07-28 on the same endpoint: every request names its version in
// `_meta`, mirrors its method (and tool name) in headers, and needs no session; an open project
// lives in a seat whose handle the model passes back as the `session` argument.

#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "mcp/json_rpc.h"
#include "mcp/mcp_server.h"
#include "mcp/seat_handle.h"
#include "mcp/session_seat.h"
#include "mcp/tool_catalog.h"

namespace atelier::mcp {
namespace {

using nlohmann::json;

constexpr std::string_view kVersionKey = "io.modelcontextprotocol/protocolVersion";
constexpr std::string_view kCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities";
/// Seats count against the same bound as sessions.
constexpr std::size_t kMaxSeats = 1024;

/// A header value as sent, or decoded from the `=?base64?…?=` form; nullopt when that is malformed.
std::optional<std::string> header_value(std::string_view value) {
    constexpr std::string_view kPrefix = "=?base64?";
    constexpr std::string_view kSuffix = "?=";
    if (value.size() >= kPrefix.size() + kSuffix.size() && value.starts_with(kPrefix) && value.ends_with(kSuffix)) {
        std::string decoded;
        if (!base64_decode(value.substr(kPrefix.size(), value.size() - kPrefix.size() - kSuffix.size()), decoded)) {
            return std::nullopt;
        }
        return decoded;
    }
    return std::string(value);
}

/// The first way the headers disagree with the body (spec: Server Validation), or empty.
std::string header_mismatch(const net::HttpRequest& request, const std::string& method, const std::string& version,
                            const json& params) {
    const std::string_view header_version = request.header("MCP-Protocol-Version");
    if (header_version.empty()) {
        return "the MCP-Protocol-Version header is missing";
    }
    if (header_version != version) {
        return fmt::format("MCP-Protocol-Version header '{}' does not match _meta's '{}'", header_version, version);
    }
    const std::string_view header_method = request.header("Mcp-Method");
    if (header_method.empty()) {
        return "the Mcp-Method header is missing";
    }
    if (header_method != method) {
        return fmt::format("Mcp-Method header '{}' does not match the body's method '{}'", header_method, method);
    }
    const bool named = method == "tools/call" || method == "prompts/get" || method == "resources/read";
    if (!named) {
        return {};
    }
    const std::string_view field = method == "resources/read" ? "uri" : "name";
    const std::string body_name =
        params.contains(field) && params[field].is_string() ? params[field].get<std::string>() : std::string();
    const std::string_view raw_name = request.header("Mcp-Name");
    if (raw_name.empty()) {
        return "the Mcp-Name header is missing";
    }
    const auto name = header_value(raw_name);
    if (!name) {
        return "the Mcp-Name header is not valid =?base64?…?= encoding";
    }
    if (*name != body_name) {
        return fmt::format("Mcp-Name header value '{}' does not match body value '{}'", *name, body_name);
    }
    return {};
}

json capabilities() {
    return {{"tools", {{"listChanged", true}}}};
}

/// Who a stateless request comes from, for logs: `_meta`'s clientInfo when the client sends one,
/// else its User-Agent.
std::string stateless_client(const net::HttpRequest& request, const json& meta) {
    std::string text;
    const auto info = meta.find("io.modelcontextprotocol/clientInfo");
    if (info != meta.end() && info->is_object()) {
        text = info->value("name", std::string("?")) + " " + info->value("version", std::string("?"));
    } else if (!request.header("User-Agent").empty()) {
        text = std::string(request.header("User-Agent"));
    } else {
        text = "an unnamed client";
    }
    for (char& c : text) {
        c = c >= ' ' && c <= '~' ? c : '?';
    }
    return text.size() > 100 ? text.substr(0, 100) : text;
}

json supported_versions() {
    json versions = json::array();
    for (const auto version : kAllVersions) {
        versions.push_back(version);
    }
    return versions;
}

} // namespace

void McpServer::post_stateless(net::HttpRequest& request, const json& message, const json& id,
                               net::HttpResponder respond) {
    const std::string method = message["method"];
    const json params = message.value("params", json::object());
    if (!params.is_object()) {
        return respond.send(rpc_error(400, id, kInvalidParams, "Invalid params: params must be an object"));
    }
    if (id.is_null()) {
        // This revision defines no client notifications over HTTP (closing a stream cancels).
        return respond.send(net::HttpResponse{.status = 202});
    }
    const json meta = params.value("_meta", json::object());
    if (!meta.is_object() || !meta.contains(kVersionKey) || !meta[kVersionKey].is_string()) {
        return respond.send(rpc_error(
            400, id, kInvalidParams, fmt::format("Invalid params: _meta[\"{}\"] is required (a string)", kVersionKey)));
    }
    const std::string version = meta[kVersionKey];
    if (version != kStatelessVersion) {
        return respond.send(rpc_error(400, id, kUnsupportedProtocolVersion,
                                      fmt::format("Unsupported protocol version \"{}\" without a session (stateless "
                                                  "requests use {}; {} need initialize)",
                                                  version, kStatelessVersion, fmt::join(kProtocolVersions, " and ")),
                                      {{"supported", supported_versions()}, {"requested", version}}));
    }
    if (!meta.contains(kCapabilitiesKey) || !meta[kCapabilitiesKey].is_object()) {
        return respond.send(
            rpc_error(400, id, kInvalidParams,
                      fmt::format("Invalid params: _meta[\"{}\"] is required (an object)", kCapabilitiesKey)));
    }
    if (const auto mismatch = header_mismatch(request, method, version, params); !mismatch.empty()) {
        return respond.send(rpc_error(400, id, kHeaderMismatch, "Header mismatch: " + mismatch));
    }
    const Caller caller{request.subject, nullptr, ResultStyle::Stateless, stateless_client(request, meta)};
    if (method == "server/discover") {
        return respond.send(
            rpc_result(id, stateless_result({{"supportedVersions", supported_versions()},
                                             {"capabilities", capabilities()},
                                             {"instructions", "atelier joins your projects to live engines. "
                                                              "open_project returns a session handle: pass it as "
                                                              "`session` to the engine tools and to get_viewport."},
                                             {"ttlMs", 60'000},
                                             {"cacheScope", "public"}})));
    }
    if (method == "tools/list") {
        // The user's seats. In a cluster they may be on several hubs; a hub asked by another
        // lists its own (kLocalHeader).
        json tools = list_tools(caller);
        const std::string relist_key = "user:" + request.subject; // relist_key() of the user's seats
        const bool asked_by_peer =
            !request.header(kLocalHeader).empty() && !request.header(net::kForwardedHeader).empty();
        if (peers().hubs && !asked_by_peer) {
            // The answers held here for this list go out now, not after the other hubs answered:
            // the fan-out's worker never holds the server.
            relisted(relist_key);
            return list_across_hubs(std::move(tools),
                                    PeerList{id, request.body, std::string(request.header("Authorization")),
                                             std::string(request.header("Cookie"))},
                                    std::move(respond));
        }
        respond.send(tools_list_answer(id, std::move(tools)));
        return relisted(relist_key);
    }
    if (method == "tools/call") {
        // Engine tools answer on a stream when the client takes one: closing it is how this
        // revision cancels a call (and a long render's progress has somewhere to go); so do
        // open_project and close_project, whose answer waits for the client to list the tools
        // again (McpServer::track). Other calls answer with JSON, or, when they changed the
        // caller's tools, with list_changed then the result on one SSE body.
        const bool streamed =
            params.contains("name") && params["name"].is_string() &&
            (!is_builtin_tool(params["name"].get<std::string>()) || params["name"] == "call_engine_tool" ||
             params["name"] == "open_project" || params["name"] == "close_project");
        const bool progress = meta.contains("progressToken");
        const bool events = accepts(request.header("Accept"), "text/event-stream");
        const auto mode = !events                  ? ReplyMode::Json
                          : (streamed || progress) ? ReplyMode::Stream
                                                   : ReplyMode::JsonOrEvents;
        auto reply = std::make_shared<Reply>(std::move(respond), id, mode, ResultStyle::Stateless);
        return call_tool(caller, reply, params);
    }
    if (method == "subscriptions/listen") {
        return listen(request.subject, id, params, std::move(respond));
    }
    respond.send(rpc_error(404, id, kMethodNotFound, fmt::format("Method not found: {}", method)));
}

void McpServer::listen(const std::string& subject, const json& id, const json& params, net::HttpResponder respond) {
    const json filter = params.value("notifications", json());
    if (!filter.is_object()) {
        return respond.send(rpc_error(400, id, kInvalidParams, "Invalid params: notifications must be an object"));
    }
    auto stream = respond.start_sse();
    if (!stream) {
        return;
    }
    // Only tools change here; other types are left out of the acknowledgement (the spec's rule).
    const bool tools = filter.value("toolsListChanged", false);
    json agreed = json::object();
    if (tools) {
        agreed["toolsListChanged"] = true;
    }
    stream->send("message",
                 notification("notifications/subscriptions/acknowledged",
                              {{"_meta", {{"io.modelcontextprotocol/subscriptionId", id}}}, {"notifications", agreed}})
                     .dump());
    if (!tools) {
        return; // open, acknowledged, and nothing will ever come: the client closes it
    }
    {
        const std::lock_guard lock(m_mutex);
        m_listeners.emplace(subject, Listener{id, stream});
    }
    stream->on_close([weak_self = weak_from_this(), subject, weak_stream = std::weak_ptr<net::SseStream>(stream)] {
        auto self = weak_self.lock();
        auto closed = weak_stream.lock();
        if (!self) {
            return;
        }
        const std::lock_guard lock(self->m_mutex);
        for (auto [it, end] = self->m_listeners.equal_range(subject); it != end; ++it) {
            if (it->second.stream == closed) {
                self->m_listeners.erase(it);
                return;
            }
        }
    });
}

void McpServer::notify_listeners(const std::string& subject) {
    const std::lock_guard lock(m_mutex);
    for (auto [it, end] = m_listeners.equal_range(subject); it != end; ++it) {
        it->second.stream->send("message",
                                notification("notifications/tools/list_changed",
                                             {{"_meta", {{"io.modelcontextprotocol/subscriptionId", it->second.id}}}})
                                    .dump());
    }
}

std::shared_ptr<McpServer::Session> McpServer::seat(const std::string& subject, const std::string& handle) const {
    const std::lock_guard lock(m_mutex);
    const auto found = m_by_id.find(handle);
    if (found == m_by_id.end() || !found->second->stateless || found->second->subject != subject) {
        return nullptr;
    }
    found->second->last_used = std::chrono::steady_clock::now();
    return found->second;
}

std::shared_ptr<McpServer::Session> McpServer::make_seat(const Caller& caller, std::string handle) {
    auto session = std::make_shared<Session>();
    session->id = std::move(handle);
    session->subject = caller.subject;
    session->protocol_version = std::string(kStatelessVersion);
    session->client = caller.client;
    session->stateless = true;
    session->last_used = std::chrono::steady_clock::now();
    return session;
}

Result<std::shared_ptr<McpServer::Session>> McpServer::new_seat(const Caller& caller, const std::string& project_id) {
    auto session = make_seat(caller, new_seat_handle(project_id));
    {
        const std::lock_guard lock(m_mutex);
        if (m_by_id.size() >= kMaxSeats) {
            return fail(ErrorCode::Unavailable, "too many open MCP sessions; close some with close_project");
        }
        m_by_id[session->id] = session;
    }
    count(*session);
    return session;
}

std::shared_ptr<McpServer::Session> McpServer::adopt_seat(const Caller& caller, const std::string& handle) {
    const auto project = seat_handle_project(handle);
    if (!project || caller.subject.empty()) {
        return nullptr;
    }
    auto session = make_seat(caller, handle);
    session->parked_project = *project;
    {
        const std::lock_guard lock(m_mutex);
        if (m_closed_seats.contains(handle) || m_by_id.contains(handle) || m_by_id.size() >= kMaxSeats) {
            return nullptr;
        }
        m_by_id[handle] = session;
    }
    spdlog::info("mcp seat {}: carried on here, parked on project {}; client {}", handle.substr(0, 8),
                 project->substr(0, 8), caller.client);
    count(*session);
    return session;
}

void McpServer::drop_seat(const std::shared_ptr<Session>& seat, std::string_view why, bool closed) {
    bool erased = false;
    {
        const std::lock_guard lock(m_mutex);
        erased = m_by_id.erase(seat->id) > 0;
        if (closed && m_closed_seats.insert(seat->id).second) {
            // A closed handle stays gone (never carried on again); the oldest are forgotten.
            constexpr std::size_t kClosedRemembered = 4096;
            m_closed_order.push_back(seat->id);
            if (m_closed_order.size() > kClosedRemembered) {
                m_closed_seats.erase(m_closed_order.front());
                m_closed_order.pop_front();
            }
        }
    }
    if (erased) {
        forget(*seat, why);
    }
    end(seat);
}

net::HttpResponse McpServer::tools_list_answer(const json& id, json tools) {
    // The list depends on the user's open seats: never share it across users.
    return rpc_result(id, stateless_result({{"tools", std::move(tools)}, {"ttlMs", 0}, {"cacheScope", "private"}}));
}

} // namespace atelier::mcp
