// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace atelier::engines {

/// Whether an engine runs under bubblewrap (the engine kind's `sandbox = true`).
enum class SandboxMode { None, Bubblewrap };

/// Where a sandboxed engine finds the hub's Unix socket (ATELIER_HUB_SOCKET inside the sandbox).
inline constexpr const char* kSandboxHubSocket = "/run/atelier/hub.sock";

/// How an exited engine ended: an exit code or the signal that killed it, and, when the launcher
/// knows better than the code, why (a container killed for going over its memory limit).
struct ExitStatus {
    std::optional<int> code;
    std::optional<int> signal;
    /// The launcher's reason, e.g. "out of memory (limit 512 MiB)"; empty when the code says it all.
    std::string reason;

    /// "exit code 3", "killed by signal 9 (SIGKILL)" or "exit code 137: out of memory (limit 512 MiB)".
    [[nodiscard]] std::string describe() const;
};

/// What a container or Pod launcher needs beyond the command (the engine kind's `image`, limits
/// and mounts). The local launcher ignores it.
struct ContainerSpec {
    std::string image;
    std::int64_t memory_bytes = 0; ///< 0: no limit
    double cpus = 0;               ///< 0: no limit
    std::int64_t pids = 0;         ///< 0: no limit
    /// Host paths bound read-only at the same path (docker) — e.g. the engine's own files.
    std::vector<std::filesystem::path> mounts;
    /// Docker: bind the host's /usr read-only (the image from scripts/engine_image.sh has none).
    bool host_usr = false;
    /// Kubernetes: the Pod's activeDeadlineSeconds (0: none).
    std::int64_t active_deadline_seconds = 0;
};

/// How to reach a started engine, whatever runs it: a launcher-specific id, the host pid when the
/// engine runs in the hub's PID namespace, and the host its preview server listens on.
struct EngineDescription {
    std::string launcher; ///< "local", "docker", "kubernetes"
    std::string id;       ///< the pid as text, the container id, "namespace/pod-name"
    std::optional<pid_t> pid;
    /// Where `preview/ready`'s port is reached: loopback for local processes and containers on the
    /// host's network, the Pod's IP for a Pod (empty until the Pod has one).
    std::string preview_host = "127.0.0.1";
};

/// Everything needed to start one engine process.
struct LaunchSpec {
    /// argv; the first word is looked up on PATH when it has no slash.
    std::vector<std::string> command;
    /// The child's cwd (the session's working tree); in the sandbox, the only writable place.
    std::filesystem::path workdir;
    /// Added to the environment. Inherited `ATELIER_*` variables are dropped first, so the hub's own
    /// settings (ATELIER_TOKEN above all) never reach an engine.
    std::map<std::string, std::string> env;
    /// stdout and stderr go here (created or truncated); the previous half is kept in `<log_file>.1`.
    std::filesystem::path log_file;
    /// Most bytes kept on disk for this engine: `log_file` and `log_file.1` hold at most half each.
    std::size_t log_limit_bytes = 8 << 20;
    SandboxMode sandbox = SandboxMode::None;
    /// The hub's Unix socket for engines, if it listens on one. Passed as ATELIER_HUB_SOCKET; in the
    /// sandbox it is bound to kSandboxHubSocket, the only way out of the sandbox's empty network.
    std::filesystem::path hub_socket;
    /// Directories the sandbox covers with an empty tmpfs (e.g. the hub's data dir, whose database
    /// and token a sandboxed engine must not read). The working tree may lie below one of them.
    std::vector<std::filesystem::path> sandbox_hidden;
    /// The session the engine serves (container labels, Pod and Secret names); may be empty.
    std::string session_id;
    /// Image and limits for container and Pod launchers.
    ContainerSpec container;
    /// Called once, on the process's monitor thread, when the process has exited and been reaped
    /// (by itself or through stop()). It must not destroy the EngineProcess it belongs to.
    std::function<void(const ExitStatus&)> on_exit;
};

/// A started engine: a local process group, a container or a Pod, watched by its launcher's
/// monitor thread. Thread-safe. Destroying an engine that still runs kills it (SIGKILL, or a
/// forced delete of its container or Pod).
class EngineProcess {
public:
    virtual ~EngineProcess() = default;

    /// Which launcher runs it and how to reach it (a local process: its pid, also its group id).
    [[nodiscard]] virtual EngineDescription describe() const = 0;

    /// True until the process has exited and been reaped.
    [[nodiscard]] virtual bool running() const = 0;

    /// How it ended, once it has; nullopt while it runs.
    [[nodiscard]] virtual std::optional<ExitStatus> exit_status() const = 0;

    /// SIGTERM to the process group (or the container's, the Pod's), SIGKILL to whatever is left
    /// after `grace`; returns once the process is reaped and its group is empty (the container or
    /// Pod deleted). Idempotent; safe after the engine exited.
    virtual ExitStatus stop(std::chrono::milliseconds grace) = 0;

    /// The last `lines` lines the process wrote to stdout/stderr (at most the last 64 KiB).
    [[nodiscard]] virtual std::string log_tail(std::size_t lines) const = 0;

    /// Registers a callback for the exit (in addition to LaunchSpec::on_exit). Runs at once, on the
    /// caller's thread, when the process has already exited; otherwise on the monitor thread.
    virtual void on_exit(std::function<void(const ExitStatus&)> callback) = 0;

    /// Registers a callback for what the launcher learns about the engine that its users should see
    /// while it starts and runs: a Pod's phase and its reason ("pod atelier-… is Pending
    /// (ContainerCreating)", "… is Running", "… Failed: OOMKilled"). Runs at once, on the caller's
    /// thread, with the latest such status when there is one, then on the monitor thread at each
    /// change. Launchers that learn nothing beyond the exit (local processes, containers) never call it.
    virtual void on_status(std::function<void(const std::string& status)> callback) { (void)callback; }
};

/// Starts engines. Implementations: LocalLauncher (here), DockerLauncher (docker_launcher.h),
/// KubernetesLauncher (kubernetes_launcher.h); LauncherRegistry (launcher_registry.h) finds them by
/// name. launch() may be called from many threads at once.
class EngineLauncher {
public:
    virtual ~EngineLauncher() = default;

    /// Starts `spec.command`. Fails with a clear message when the command cannot be executed
    /// (missing binary, not executable), the working tree or log file cannot be opened, or the
    /// sandbox was asked for and bubblewrap cannot run.
    [[nodiscard]] virtual Result<std::unique_ptr<EngineProcess>> launch(LaunchSpec spec) = 0;
};

/// Runs engines as child processes of the hub, optionally under bubblewrap.
class LocalLauncher final : public EngineLauncher {
public:
    LocalLauncher();
    ~LocalLauncher() override;

    [[nodiscard]] Result<std::unique_ptr<EngineProcess>> launch(LaunchSpec spec) override;

    /// Whether bubblewrap can create its namespaces here: checked once by running a trivial
    /// sandbox, then remembered. The error names bubblewrap and carries its own message.
    [[nodiscard]] Result<void> check_sandbox();

private:
    [[nodiscard]] Result<std::unique_ptr<EngineProcess>> start_process(LaunchSpec spec);
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The bubblewrap arguments (everything before the engine's command) for `spec`. Exposed for tests
/// and for the docs; `bwrap` is the resolved path of the bwrap binary.
[[nodiscard]] std::vector<std::string> sandbox_arguments(const std::string& bwrap, const LaunchSpec& spec);

} // namespace atelier::engines
