// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "engines/api_client.h"
#include "engines/engine_launcher.h"
#include "engines/launcher_registry.h"

namespace atelier::engines {

/// Runs each engine in its own container through the Docker Engine API on a Unix socket
/// (docs/containers.md). A container gets the kind's image, the LaunchSpec's command and
/// environment, the working tree bound read-write at its own path (plus `mounts` read-only, and the
/// host's /usr with `host_usr`), host networking (engines dial the hub on 127.0.0.1), the hub's
/// uid:gid, the limits (Memory = MemorySwap, NanoCpus, PidsLimit) and the labels
/// `atelier.hub=<hub id>` and `atelier.session=<session id>`. Each engine has a monitor thread
/// waiting on POST /containers/{id}/wait and a log thread following its output into the CappedLog.
///
/// Leftovers: create() removes every container labelled with this hub's id (a crashed hub's), and
/// the destructor removes them all again. Thread-safe.
class DockerLauncher final : public EngineLauncher {
public:
    /// Checks the daemon answers (GET /_ping), then reaps this hub's leftovers. Fails with
    /// Unavailable naming the socket when the daemon cannot be reached.
    [[nodiscard]] static Result<std::shared_ptr<DockerLauncher>> create(const LauncherOptions& options);
    ~DockerLauncher() override;
    DockerLauncher(const DockerLauncher&) = delete;
    DockerLauncher& operator=(const DockerLauncher&) = delete;

    /// Creates and starts the container; fails with the daemon's message (no such image, the
    /// command not found in the image) and leaves no container behind when it does.
    [[nodiscard]] Result<std::unique_ptr<EngineProcess>> launch(LaunchSpec spec) override;

    /// Force-removes every container labelled with this hub's id; returns how many.
    [[nodiscard]] Result<std::size_t> reap() const;

    /// The body of POST /containers/create for `spec` (exposed for tests and docs/containers.md).
    [[nodiscard]] static nlohmann::json container_body(const LaunchSpec& spec, const std::string& hub_id, uid_t uid,
                                                       gid_t gid);

private:
    DockerLauncher(ApiClient client, std::string hub_id);

    std::shared_ptr<const ApiClient> m_client;
    std::string m_hub_id;
};

/// "512 MiB", "1.5 GiB": a memory limit as engine_lost reasons say it.
[[nodiscard]] std::string describe_memory(std::int64_t bytes);

} // namespace atelier::engines
