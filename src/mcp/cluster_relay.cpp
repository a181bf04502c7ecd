// SPDX-License-Identifier: Apache-2.0
// MCP sessions across the hubs of a cluster (docs/scaling.md "MCP"). An MCP session lives on the
// hub its client initialized it on; when it opens a project that is live on another hub, the
// cluster's forwarder (app/cluster_forwarder.cpp) sends its requests there from then on, and that
// hub carries the session on under the same Mcp-Session-Id (adopt). Here the session stays,
// parked on the project: if the other hub goes away, the session is served here again and its
// next call re-opens the project on this hub (parking.cpp), which takes it over.

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mcp/json_rpc.h"
#include "mcp/mcp_server.h"
#include "mcp/session_seat.h"

namespace atelier::mcp {

std::shared_ptr<McpServer::Session> McpServer::own_session(const std::string& session_id,
                                                           const std::string& subject) const {
    const std::lock_guard lock(m_mutex);
    const auto found = m_by_id.find(session_id);
    if (found == m_by_id.end() || found->second->stateless || subject.empty() || found->second->subject != subject) {
        return nullptr;
    }
    return found->second;
}

std::optional<McpServer::Relayed> McpServer::relay(const std::string& session_id, const std::string& subject,
                                                   const std::string& project_id) {
    const auto session = own_session(session_id, subject);
    if (!session) {
        return std::nullopt;
    }
    std::shared_ptr<SessionSeat> tab;
    bool already = false;
    {
        const std::lock_guard lock(session->mutex);
        already = session->relayed_project == project_id;
        tab = std::move(session->tab);
        session->tab.reset();
        session->parked_project = project_id;
        session->parked_tools = nlohmann::json(); // the other hub's list: unknown here
        session->relayed_project = project_id;
    }
    if (tab) {
        m_sessions->detach(tab);
        tab->fail_pending("the project was closed");
    }
    if (!already) {
        // The client's GET stream ends: it re-opens it, and that request is forwarded too.
        session->events->drop();
        spdlog::info("mcp session {}: project {} is live on another hub; the session's requests go there, client {}",
                     session->id.substr(0, 8), project_id.substr(0, 8), session->client);
    }
    touch(*session);
    return Relayed{project_id, session->protocol_version, session->client};
}

std::optional<McpServer::Relayed> McpServer::relayed(const std::string& session_id, const std::string& subject) {
    const auto session = own_session(session_id, subject);
    if (!session) {
        return std::nullopt;
    }
    std::string project;
    {
        const std::lock_guard lock(session->mutex);
        project = session->relayed_project;
    }
    if (project.empty()) {
        return std::nullopt;
    }
    touch(*session);
    return Relayed{project, session->protocol_version, session->client};
}

void McpServer::unrelay(const std::string& session_id, const std::string& subject) {
    const auto session = own_session(session_id, subject);
    if (!session) {
        return;
    }
    std::string project;
    {
        const std::lock_guard lock(session->mutex);
        project = std::exchange(session->relayed_project, {});
    }
    if (!project.empty()) {
        spdlog::info("mcp session {}: served here again; its next call re-opens project {}, client {}",
                     session->id.substr(0, 8), project.substr(0, 8), session->client);
    }
}

void McpServer::adopt(const net::HttpRequest& request) {
    const std::string_view from = request.header(kAdoptHeader);
    const std::string session_id(request.header("Mcp-Session-Id"));
    if (from.empty() || request.header(net::kForwardedHeader).empty() || session_id.empty() ||
        request.subject.empty()) {
        return;
    }
    const std::string_view version = request.header("MCP-Protocol-Version");
    if (!version.empty() && !supported_protocol_version(version)) {
        return; // admit() refuses it
    }
    auto session = std::make_shared<Session>();
    session->id = session_id;
    session->subject = request.subject;
    session->protocol_version = version.empty() ? std::string(kProtocolVersions[0]) : std::string(version);
    session->client = std::string(request.header(kClientHeader));
    session->parked_project = std::string(request.header(kProjectHeader));
    session->last_used = std::chrono::steady_clock::now();
    {
        const std::lock_guard lock(m_mutex);
        // A session of that id exists (adopted before, or made here): admit() decides as usual.
        if (m_by_id.contains(session_id) || m_by_id.size() >= kMaxSessions) {
            return;
        }
        m_by_id[session_id] = session;
    }
    spdlog::info("mcp session {}: carried on here for hub {}{}", session_id.substr(0, 8), from,
                 session->parked_project.empty() ? std::string()
                                                 : fmt::format(" (project {})", session->parked_project.substr(0, 8)));
    count(*session);
}

} // namespace atelier::mcp
