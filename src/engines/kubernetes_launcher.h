// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "engines/api_client.h"
#include "engines/engine_launcher.h"
#include "engines/kubernetes_config.h"
#include "engines/launcher_registry.h"

namespace atelier::engines {

/// Runs each engine as a Pod through the Kubernetes REST API (docs/containers.md). The one-time
/// engine token goes into a per-session Secret that the Pod reads with secretKeyRef, so it never
/// appears in the Pod spec. Pods have `restartPolicy: Never` (the hub relaunches, with backoff),
/// `automountServiceAccountToken: false`, the kind's limits as resources, its
/// `activeDeadlineSeconds`, and the labels `atelier.hub` and `atelier.session`. Each engine has a
/// monitor thread that watches its Pod (`?watch=1`, re-established from the last resourceVersion
/// when the server ends it); the Pod's phase is its state (describe().id, logged on change), and a
/// terminal phase or deletion is its exit. stop() deletes the Pod, then its Secret.
///
/// Leftovers: create() deletes every Pod and Secret labelled with this hub's id. Thread-safe.
class KubernetesLauncher final : public EngineLauncher {
public:
    /// Reads the endpoint, checks the API answers (GET /version), reaps this hub's leftovers.
    [[nodiscard]] static Result<std::shared_ptr<KubernetesLauncher>> create(const LauncherOptions& options);
    ~KubernetesLauncher() override;
    KubernetesLauncher(const KubernetesLauncher&) = delete;
    KubernetesLauncher& operator=(const KubernetesLauncher&) = delete;

    [[nodiscard]] Result<std::unique_ptr<EngineProcess>> launch(LaunchSpec spec) override;

    /// Deletes every Pod and Secret labelled with this hub's id; returns how many objects.
    [[nodiscard]] Result<std::size_t> reap() const;

    /// The Secret and the Pod for `spec` (exposed for the kubectl and schema checks in tests).
    [[nodiscard]] static nlohmann::json secret_manifest(const LaunchSpec& spec, const std::string& name,
                                                        const LauncherOptions& options);
    [[nodiscard]] static nlohmann::json pod_manifest(const LaunchSpec& spec, const std::string& name,
                                                     const LauncherOptions& options);

private:
    KubernetesLauncher(ApiClient client, LauncherOptions options);

    std::shared_ptr<const ApiClient> m_client;
    LauncherOptions m_options;
};

} // namespace atelier::engines
