// SPDX-License-Identifier: Apache-2.0
#include "app/cluster_wiring.h"

#include <charconv>
#include <filesystem>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sessions/cluster_session_directory.h"
#include "sessions/session_manager.h"
#include "store/project_repos.h"
#include "store/session_leases.h"

namespace atelier::app {
namespace {

namespace fs = std::filesystem;

/// A hub killed while it committed leaves libgit2's lock files (`refs/heads/main.lock`, ...);
/// they would refuse every later commit. Only called once the dead hub's lease lapsed, so no
/// live writer holds them.
void clear_stale_locks(const fs::path& repo) {
    std::error_code error;
    if (!fs::is_directory(repo, error)) {
        return;
    }
    for (auto it = fs::recursive_directory_iterator(repo, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
        if (it->path().extension() == ".lock" && it->is_regular_file(error)) {
            spdlog::warn("cluster: removing {} left by a hub that died", it->path().string());
            fs::remove(it->path(), error);
        }
    }
}

/// The id after "/api/projects/", if the path names one project.
std::string project_of_path(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/projects/";
    if (!path.starts_with(kPrefix)) {
        return {};
    }
    path.remove_prefix(kPrefix.size());
    return std::string(path.substr(0, path.find('/')));
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

} // namespace

Result<net::Upstream> parse_hub_url(const std::string& url, bool allow_zero) {
    constexpr std::string_view kScheme = "http://";
    std::string_view rest(url);
    if (!rest.starts_with(kScheme)) {
        return fail(ErrorCode::InvalidConfig, fmt::format("cluster.hub_url '{}' is not http://HOST:PORT", url));
    }
    rest.remove_prefix(kScheme.size());
    if (rest.ends_with('/')) {
        rest.remove_suffix(1);
    }
    const auto colon = rest.rfind(':');
    unsigned port = 0;
    if (colon == std::string_view::npos || colon == 0 ||
        std::from_chars(rest.data() + colon + 1, rest.data() + rest.size(), port).ec != std::errc{} ||
        (port == 0 && !allow_zero) || port > 65535 || rest.find('/') != std::string_view::npos) {
        return fail(ErrorCode::InvalidConfig, fmt::format("cluster.hub_url '{}' is not http://HOST:PORT", url));
    }
    return net::Upstream{std::string(rest.substr(0, colon)), static_cast<std::uint16_t>(port), "hub " + url};
}

Result<std::optional<ClusterParts>> open_cluster(const Config& config) {
    if (config.hub_url.empty()) {
        return std::optional<ClusterParts>{};
    }
    ATELIER_TRY(parse_hub_url(config.hub_url, true));
    const auto ttl = std::chrono::milliseconds(static_cast<std::int64_t>(config.cluster_lease_s * 1000));
    auto leases = store::SessionLeases::open(config.database, config.hub_url, ttl);
    if (!leases) {
        return fail(leases.error().code, "cluster: " + leases.error().message);
    }
    ClusterParts parts;
    parts.leases = std::move(*leases);
    const auto repos = store::ProjectRepos::with_root(config.projects_dir);
    sessions::ClusterDirectoryHooks hooks;
    hooks.on_takeover = [repos](const std::string& project_id, const std::string&) {
        if (auto path = repos.path_of(project_id)) {
            clear_stale_locks(*path);
        }
    };
    hooks.on_lost = [slot = parts.sessions](const std::string& project_id) {
        if (auto manager = slot->lock()) {
            manager->lease_lost(project_id);
        }
    };
    parts.directory = sessions::make_cluster_session_directory(parts.leases, std::move(hooks));
    spdlog::info("cluster: this hub is {}; leases of {} ms", config.hub_url, ttl.count());
    return std::optional<ClusterParts>{std::move(parts)};
}

void complete_hub_url(ClusterParts& cluster, std::uint16_t bound_port) {
    auto upstream = parse_hub_url(cluster.leases->hub_url(), true);
    if (upstream && upstream->port == 0) {
        const std::string url = fmt::format("http://{}:{}", upstream->host, bound_port);
        cluster.leases->set_hub_url(url);
        spdlog::info("cluster: this hub is {}", url);
    }
}

net::ForwardResolver cluster_forwarder(const ClusterParts& cluster) {
    auto owners = std::make_shared<SessionOwners>();
    return [leases = cluster.leases, directory = cluster.directory,
            owners](const net::HttpRequest& request) -> std::optional<net::Upstream> {
        const auto elsewhere = [&](const std::string& hub) -> std::optional<net::Upstream> {
            if (hub.empty() || hub == leases->hub_url()) {
                return std::nullopt;
            }
            auto upstream = parse_hub_url(hub);
            return upstream ? std::optional<net::Upstream>(std::move(*upstream)) : std::nullopt;
        };
        std::string project;
        if (request.path == "/ws/browser") {
            const auto it = request.query.find("project");
            project = it == request.query.end() ? std::string() : it->second;
        } else if (request.path.starts_with("/preview/")) {
            std::string_view rest(request.path);
            rest.remove_prefix(std::string_view("/preview/").size());
            const std::string session(rest.substr(0, rest.find('/')));
            if (auto known = owners->get(session)) {
                return elsewhere(*known);
            }
            auto lease = leases->find_session(session);
            if (!lease || !*lease || (*lease)->expired) {
                return std::nullopt; // served here: the preview route answers for sessions it has, or 404
            }
            owners->put(session, (*lease)->hub_url);
            return elsewhere((*lease)->hub_url);
        } else {
            project = project_of_path(request.path);
        }
        if (project.empty() || directory->live(project)) {
            return std::nullopt;
        }
        // Not live here: the owner, if a live hub holds the lease (one indexed read).
        auto lease = leases->find(project);
        if (!lease) {
            spdlog::warn("cluster: looking up project {}: {}", project, lease.error().message);
            return std::nullopt;
        }
        if (!*lease || (*lease)->expired) {
            return std::nullopt;
        }
        return elsewhere((*lease)->hub_url);
    };
}

} // namespace atelier::app
