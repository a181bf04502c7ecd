// SPDX-License-Identifier: Apache-2.0
// The stateless era (2026-07-28) across the hubs of a cluster (docs/scaling.md "MCP"). A seat's
// handle names its project, so the cluster's forwarder sends each call to the project's owner,
// which carries on a seat it has not seen (McpServer::adopt_seat). What is left is per user, not
// per project: a user's seats may live on several hubs, so a `tools/list` asks the other hubs for
// theirs, and a change of the user's tools on one hub is told to the `subscriptions/listen`
// streams of the others.

#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mcp/json_rpc.h" // kStatelessVersion
#include "mcp/mcp_server.h"
#include "net/router.h"

namespace atelier::mcp {
namespace {

using nlohmann::json;

/// A hub's /mcp or another endpoint: "http://host:port" (a trailing slash dropped) + `path`.
std::string hub_endpoint(std::string hub, std::string_view path) {
    while (!hub.empty() && hub.back() == '/') {
        hub.pop_back();
    }
    return hub + std::string(path);
}

/// Peers answer within these bounds or are left out of the answer (a hub whose lease has not
/// lapsed yet may be dead).
constexpr std::chrono::milliseconds kPeerConnect{2'000};
constexpr std::chrono::milliseconds kPeerRead{5'000};

/// One request to a peer hub: the answer's body when it was `expected`, or the error.
Result<std::string> ask_peer(net::HttpClient& client, net::ClientRequest request, int expected) {
    request.connect_timeout = kPeerConnect;
    request.read_timeout = kPeerRead;
    int status = 0;
    std::string body;
    auto sent = client.stream(
        request, [&status](const net::ClientResponseHead& head) { status = head.status; },
        [&body](std::string_view piece) {
            body.append(piece);
            return body.size() < 16U * 1024 * 1024;
        });
    if (!sent) {
        return fail(sent.error());
    }
    if (status != expected) {
        return fail(ErrorCode::Unavailable, fmt::format("answered {}: {}", status, body.substr(0, 200)));
    }
    return body;
}

} // namespace

void McpServer::set_peers(PeerHubs peers) {
    const std::lock_guard lock(m_mutex);
    m_peers = Peers{std::make_shared<const PeerHubs>(std::move(peers)), std::make_shared<Worker>("atelier-mcp-peers"),
                    std::make_shared<net::HttpClient>()};
}

McpServer::Peers McpServer::peers() const {
    const std::lock_guard lock(m_mutex);
    return m_peers;
}

void McpServer::list_across_hubs(json tools, PeerList request, net::HttpResponder respond) {
    const auto link = this->peers();
    const auto& peers = link.hubs;
    const auto& work = link.work;
    const auto& client = link.client;
    auto answer = [id = request.id](json listed) { return tools_list_answer(id, std::move(listed)); };
    // The job holds what it needs, never the server (whose destructor stops the worker); a
    // responder moves only, so it waits in a shared slot.
    auto responder = std::make_shared<net::HttpResponder>(std::move(respond));
    auto job = [peers, client, tools, request = std::move(request), responder, answer]() mutable {
        std::set<std::string> listed;
        for (const auto& tool : tools) {
            listed.insert(tool.value("name", ""));
        }
        auto others = peers->others();
        if (!others) {
            spdlog::warn("mcp: tools/list: the other hubs are unknown: {}", others.error().message);
        }
        for (const auto& hub : others ? *others : std::vector<std::string>{}) {
            net::ClientRequest ask{.url = hub_endpoint(hub, "/mcp"), .body = request.body};
            ask.headers = {{"Content-Type", "application/json"},
                           {"Accept", "application/json, text/event-stream"},
                           {"MCP-Protocol-Version", std::string(kStatelessVersion)},
                           {"Mcp-Method", "tools/list"},
                           {std::string(kLocalHeader), "1"},
                           {std::string(net::kForwardedHeader), peers->self()}};
            if (!request.authorization.empty()) {
                ask.headers.emplace_back("Authorization", request.authorization);
            }
            if (!request.cookie.empty()) {
                ask.headers.emplace_back("Cookie", request.cookie);
            }
            auto body = ask_peer(*client, std::move(ask), 200);
            const json there = body ? json::parse(*body, nullptr, false) : json();
            const json* remote = nullptr;
            if (there.is_object() && there.contains("result") && there["result"].is_object() &&
                there["result"].contains("tools") && there["result"]["tools"].is_array()) {
                remote = &there["result"]["tools"];
            }
            if (!remote) {
                spdlog::warn("mcp: tools/list: hub {} {}", hub,
                             body ? std::string("answered no tool list") : "did not answer: " + body.error().message);
                continue;
            }
            for (const auto& tool : *remote) {
                if (tool.is_object() && listed.insert(tool.value("name", "")).second) {
                    tools.push_back(tool);
                }
            }
        }
        responder->send(answer(std::move(tools)));
    };
    if (!work || !work->post(std::move(job))) {
        responder->send(answer(std::move(tools))); // stopping: this hub's seats
    }
}

void McpServer::notify_peers(const std::string& subject) {
    const auto link = this->peers();
    const auto& peers = link.hubs;
    const auto& work = link.work;
    const auto& client = link.client;
    if (!peers) {
        return;
    }
    work->post([peers, client, subject] {
        auto others = peers->others();
        if (!others) {
            spdlog::warn("mcp: telling the other hubs of a tools change: {}", others.error().message);
            return;
        }
        for (const auto& hub : *others) {
            net::ClientRequest tell{.url = hub_endpoint(hub, kPeerToolsChangedPath),
                                    .body = json{{"subject", subject}}.dump()};
            tell.headers = {{"Content-Type", "application/json"},
                            {"Authorization", "Bearer " + peers->admin_token},
                            {std::string(net::kForwardedHeader), peers->self()}};
            if (auto told = ask_peer(*client, std::move(tell), 204); !told) {
                spdlog::warn("mcp: hub {} did not hear of a tools change: {}", hub, told.error().message);
            }
        }
    });
}

net::HttpResponse McpServer::peer_tools_changed(const net::HttpRequest& request) {
    const auto peers = this->peers().hubs;
    if (!peers || request.subject != peers->admin_subject) {
        return net::HttpResponse::error(ErrorCode::Forbidden, "only the hubs of a cluster tell each other this");
    }
    const auto body = json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("subject") || !body["subject"].is_string() ||
        body["subject"].get<std::string>().empty()) {
        return net::HttpResponse::error(ErrorCode::InvalidArgument, "subject must be a non-empty string");
    }
    notify_listeners(body["subject"].get<std::string>());
    return net::HttpResponse{.status = 204};
}

} // namespace atelier::mcp
