// SPDX-License-Identifier: Apache-2.0
// Which hub serves a request (docs/scaling.md "Forwarding to the owner"): decided before any
// route. What this hub knows in memory (its live sessions, the owners of previews seen before) is
// answered at once on the network thread; a lease read in PostgreSQL runs on the cluster's lookup
// worker, and the connection waits for its answer.

#include <map>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/cluster_wiring.h"
#include "mcp/mcp_server.h"
#include "mcp/seat_handle.h"
#include "store/session_leases.h"

namespace atelier::app {
namespace {

/// The id after "/api/projects/", if the path names one project.
std::string project_of_path(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/projects/";
    if (!path.starts_with(kPrefix)) {
        return {};
    }
    path.remove_prefix(kPrefix.size());
    return std::string(path.substr(0, path.find('/')));
}

/// The project an MCP `tools/call` belongs to by its body: the one open_project names (then
/// `opening` is set), or the one a stateless seat handle in the `session` argument names
/// (mcp/seat_handle.h); empty for anything else.
std::string called_project(const std::string& body, bool& opening) {
    opening = false;
    if (body.find("tools/call") == std::string::npos ||
        (body.find("open_project") == std::string::npos && body.find("\"session\"") == std::string::npos)) {
        return {}; // most MCP requests: no parse
    }
    const auto message = nlohmann::json::parse(body, nullptr, false);
    if (!message.is_object() || message.value("method", nlohmann::json()) != "tools/call") {
        return {};
    }
    const auto params = message.find("params");
    if (params == message.end() || !params->is_object()) {
        return {};
    }
    const auto arguments = params->find("arguments");
    if (arguments == params->end() || !arguments->is_object()) {
        return {};
    }
    if (params->value("name", nlohmann::json()) == "open_project") {
        const auto project = arguments->find("project_id");
        opening = project != arguments->end() && project->is_string();
        return opening ? project->get<std::string>() : std::string();
    }
    const auto handle = arguments->find("session");
    if (handle == arguments->end() || !handle->is_string()) {
        return {};
    }
    return mcp::seat_handle_project(handle->get<std::string>()).value_or(std::string());
}

/// Where each preview session lives: a session's hub never changes (a takeover makes a new
/// session), so answers are kept; the map is cleared when it grows large.
class SessionOwners {
public:
    std::optional<std::string> get(const std::string& session_id) {
        const std::lock_guard lock(m_mutex);
        const auto it = m_owners.find(session_id);
        return it == m_owners.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    void put(const std::string& session_id, const std::string& hub) {
        const std::lock_guard lock(m_mutex);
        if (m_owners.size() > 10'000) {
            m_owners.clear();
        }
        m_owners[session_id] = hub;
    }

private:
    std::mutex m_mutex;
    std::map<std::string, std::string> m_owners;
};

class ClusterForwarder : public std::enable_shared_from_this<ClusterForwarder> {
public:
    ClusterForwarder(const ClusterParts& cluster, std::shared_ptr<mcp::McpServer> mcp)
        : m_leases(cluster.leases), m_directory(cluster.directory), m_lookups(cluster.lookups), m_mcp(std::move(mcp)) {}

    void resolve(const net::HttpRequest& request, const net::ForwardDecision& decide) {
        if (request.path == "/mcp") {
            return resolve_mcp(request, decide);
        }
        std::string project;
        if (request.path == "/ws/browser") {
            const auto it = request.query.find("project");
            project = it == request.query.end() ? std::string() : it->second;
        } else if (request.path.starts_with("/preview/")) {
            std::string_view rest(request.path);
            rest.remove_prefix(std::string_view("/preview/").size());
            return resolve_preview(std::string(rest.substr(0, rest.find('/'))), decide);
        } else {
            project = project_of_path(request.path);
        }
        to_owner(project, net::Upstream::Relay::Buffered, decide);
    }

private:
    // The hub `hub` names, unless it is this one (or none).
    std::optional<net::Upstream> at(const std::string& hub) const {
        if (hub.empty() || hub == m_leases->hub_url()) {
            return std::nullopt;
        }
        auto upstream = parse_hub_url(hub);
        return upstream ? std::optional<net::Upstream>(std::move(*upstream)) : std::nullopt;
    }

    // Calls `then` on the lookup worker with the hub whose live lease holds `project` (empty: none).
    void owner_of(const std::string& project, std::function<void(const std::string& hub)> then) {
        const bool posted = m_lookups->post([leases = m_leases, project, then] {
            auto lease = leases->find(project);
            if (!lease) {
                spdlog::warn("cluster: looking up project {}: {}", project, lease.error().message);
                return then({});
            }
            then(*lease && !(*lease)->expired ? (*lease)->hub_url : std::string());
        });
        if (!posted) {
            then({}); // the hub is stopping: served (refused) here
        }
    }

    void resolve_preview(const std::string& session, const net::ForwardDecision& decide) {
        if (auto known = m_owners.get(session)) {
            return decide(at(*known));
        }
        const bool posted = m_lookups->post([self = shared_from_this(), session, decide] {
            auto lease = self->m_leases->find_session(session);
            if (!lease || !*lease || (*lease)->expired) {
                return decide(std::nullopt); // served here: the preview route answers for sessions it has, or 404
            }
            self->m_owners.put(session, (*lease)->hub_url);
            decide(self->at((*lease)->hub_url));
        });
        if (!posted) {
            decide(std::nullopt);
        }
    }

    // /mcp: an MCP session lives on the hub it was initialized on. When it opens a project live on
    // another hub, its requests go there from then on (spliced: answers may be SSE streams), with
    // what that hub needs to carry the session on (mcp/cluster_relay.cpp); when the project is
    // live nowhere else any more, it is served here again.
    void resolve_mcp(const net::HttpRequest& request, const net::ForwardDecision& decide) {
        if (!m_mcp || request.subject.empty()) {
            return decide(std::nullopt);
        }
        const std::string session(request.header("Mcp-Session-Id"));
        bool opening = false;
        std::string project = request.method == "POST" ? called_project(request.body, opening) : std::string();
        if (session.empty()) {
            // Stateless (2026-07-28): a call that opens a project, or names a seat, goes to the hub
            // where that project is live, spliced (engine calls answer on a stream); that hub makes
            // the seat, or carries on one it has not seen. Everything else (discover, tools/list,
            // subscriptions/listen) is served here.
            return to_owner(project, net::Upstream::Relay::Spliced, decide);
        }
        const std::string subject = request.subject;
        if (!opening) {
            auto relayed = m_mcp->relayed(session, subject);
            if (!relayed) {
                return decide(std::nullopt);
            }
            project = relayed->project_id;
        }
        if (m_directory->live(project)) {
            m_mcp->unrelay(session, subject);
            return decide(std::nullopt);
        }
        owner_of(project,
                 [self = shared_from_this(), session, subject, project, opening, decide](const std::string& hub) {
                     auto upstream = self->at(hub);
                     if (!upstream) {
                         self->m_mcp->unrelay(session, subject);
                         return decide(std::nullopt);
                     }
                     upstream->relay = net::Upstream::Relay::Spliced;
                     auto relayed = opening ? self->m_mcp->relay(session, subject, project)
                                            : self->m_mcp->relayed(session, subject);
                     if (!relayed) {
                         return decide(std::nullopt); // no such session here: answered here (404)
                     }
                     upstream->headers.emplace_back(mcp::kAdoptHeader, self->m_leases->hub_url());
                     upstream->headers.emplace_back(mcp::kClientHeader, relayed->client);
                     upstream->headers.emplace_back("MCP-Protocol-Version", relayed->protocol_version);
                     if (!opening) {
                         upstream->headers.emplace_back(mcp::kProjectHeader, project);
                     }
                     decide(std::move(upstream));
                 });
    }

    // A request for `project` (none: served here) goes to the hub where it is live, if that is
    // another: what this hub knows at once, else the owner of a live lease (one indexed read).
    void to_owner(const std::string& project, net::Upstream::Relay relay, const net::ForwardDecision& decide) {
        if (project.empty() || m_directory->live(project)) {
            return decide(std::nullopt);
        }
        owner_of(project, [self = shared_from_this(), relay, decide](const std::string& hub) {
            auto upstream = self->at(hub);
            if (upstream) {
                upstream->relay = relay;
            }
            decide(std::move(upstream));
        });
    }

    std::shared_ptr<store::SessionLeases> m_leases;
    std::shared_ptr<sessions::SessionDirectory> m_directory;
    std::shared_ptr<Worker> m_lookups;
    std::shared_ptr<mcp::McpServer> m_mcp;
    SessionOwners m_owners;
};

} // namespace

net::ForwardResolver cluster_forwarder(const ClusterParts& cluster, std::shared_ptr<mcp::McpServer> mcp) {
    auto forwarder = std::make_shared<ClusterForwarder>(cluster, std::move(mcp));
    return [forwarder](const net::HttpRequest& request, net::ForwardDecision decide) {
        forwarder->resolve(request, decide);
    };
}

} // namespace atelier::app
