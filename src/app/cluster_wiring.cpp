// SPDX-License-Identifier: Apache-2.0
#include "app/cluster_wiring.h"

#include <charconv>
#include <filesystem>

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
    // The other hubs know this one from now on (then with every renewal of its leases).
    if (auto announced = cluster.leases->announce(); !announced) {
        spdlog::warn("cluster: announcing this hub: {}", announced.error().message);
    }
}

} // namespace atelier::app
