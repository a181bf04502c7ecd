// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "core/worker.h"
#include "net/router.h"
#include "sessions/session_directory.h"

namespace atelier::mcp {
class McpServer;
}
namespace atelier::sessions {
class SessionManager;
}
namespace atelier::store {
class SessionLeases;
}

namespace atelier::app {

/// What a hub of a cluster adds (DESIGN §11, docs/scaling.md): its leases in PostgreSQL, the
/// session directory backed by them, and the rule that forwards a project's requests to the hub
/// that owns it.
struct ClusterParts {
    std::shared_ptr<store::SessionLeases> leases;
    std::shared_ptr<sessions::SessionDirectory> directory;
    /// Set once the session manager exists: where lost leases end their sessions.
    std::shared_ptr<std::weak_ptr<sessions::SessionManager>> sessions =
        std::make_shared<std::weak_ptr<sessions::SessionManager>>();
    /// Where forwarding reads leases (never on a network thread); stopped with the hub's workers.
    std::shared_ptr<Worker> lookups = std::make_shared<Worker>("atelier-lookups");
};

/// nullopt when `cluster.hub_url` is unset (a hub on its own); else connects the leases and
/// makes the directory. A dead hub's git lock files are cleared when this hub takes one of its
/// projects over.
[[nodiscard]] Result<std::optional<ClusterParts>> open_cluster(const Config& config);

/// A `--hub-url` whose port is 0 names the port the hub bound (`--port 0`): call once listening.
/// Then the hub announces itself to the others (`cluster_hubs`).
void complete_hub_url(ClusterParts& cluster, std::uint16_t bound_port);

/// "http://HOST:PORT[/]" → HOST and PORT (0 only where `allow_zero`); InvalidConfig otherwise.
[[nodiscard]] Result<net::Upstream> parse_hub_url(const std::string& url, bool allow_zero = false);

/// Which requests go to another hub: `/api/projects/<id>[/...]`, `/ws/browser?project=<id>` and
/// `/preview/<session-id>/...` when the project (the session) is live on another hub whose lease
/// has not expired; and `/mcp` requests of an MCP session (of `mcp`) whose open project is live on
/// another hub (mcp/cluster_relay.cpp). A project live here, or nowhere, is served here: the first
/// request after an owner died takes the project over. Lease reads run on `cluster.lookups`
/// (app/cluster_forwarder.cpp).
[[nodiscard]] net::ForwardResolver cluster_forwarder(const ClusterParts& cluster, std::shared_ptr<mcp::McpServer> mcp);

} // namespace atelier::app
