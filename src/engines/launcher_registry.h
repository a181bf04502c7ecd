// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "engines/engine_launcher.h"

namespace atelier::engines {

/// What a launcher is created with: the hub's identity and the engine kind's placement settings.
/// Each launcher reads the fields it needs and ignores the rest.
struct LauncherOptions {
    /// Labels every container and Pod this hub starts (`atelier.hub`); a launcher reaps only its
    /// own hub's leftovers. Stable across restarts of the same hub (app/engine_starter.cpp).
    std::string hub_id;
    /// The hub's data dir (working trees live below it).
    std::filesystem::path data_dir;
    /// docker: the Engine API's Unix socket.
    std::filesystem::path docker_socket;
    /// kubernetes: namespace, kubeconfig (empty: the in-cluster service account), the claim that
    /// holds the data dir (empty: a hostPath volume) and the URL engines dial (empty: the hub's).
    std::string kubernetes_namespace = "default";
    std::filesystem::path kubeconfig;
    std::string volume_claim;
    std::string engine_hub_url;
};

using LauncherFactory = std::function<Result<std::shared_ptr<EngineLauncher>>(const LauncherOptions&)>;

/// Launchers by name ("local", "docker", "kubernetes"). The app registers each one explicitly, one
/// line each (app/engine_starter.cpp); engine kinds name theirs with `launcher = "..."`.
/// Not thread-safe while registering; create() may then run from many threads.
class LauncherRegistry {
public:
    /// Adds or replaces the factory for `name`.
    void add(std::string name, LauncherFactory factory);

    /// Creates the launcher `name` with `options`. Fails with InvalidConfig naming the known
    /// launchers when `name` is not registered, or with the factory's own error (an unreachable
    /// Docker socket, an unreadable kubeconfig).
    [[nodiscard]] Result<std::shared_ptr<EngineLauncher>> create(const std::string& name,
                                                                 const LauncherOptions& options) const;

    /// The registered names, sorted.
    [[nodiscard]] std::vector<std::string> names() const;

private:
    std::map<std::string, LauncherFactory> m_factories;
};

} // namespace atelier::engines
