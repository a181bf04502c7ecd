#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
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

/// How an exited process ended: an exit code or the signal that killed it.
struct ExitStatus {
    std::optional<int> code;
    std::optional<int> signal;

    /// "exit code 3" or "killed by signal 9 (SIGKILL)".
    [[nodiscard]] std::string describe() const;
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
    /// Called once, on the process's monitor thread, when the process has exited and been reaped
    /// (by itself or through stop()). It must not destroy the EngineProcess it belongs to.
    std::function<void(const ExitStatus&)> on_exit;
};

/// A started engine process: the leader of its own process group, reaped by its monitor thread.
/// Thread-safe. Destroying a process that still runs kills its group with SIGKILL.
class EngineProcess {
public:
    virtual ~EngineProcess() = default;

    /// The process id (also its process group id).
    [[nodiscard]] virtual pid_t pid() const = 0;

    /// True until the process has exited and been reaped.
    [[nodiscard]] virtual bool running() const = 0;

    /// How it ended, once it has; nullopt while it runs.
    [[nodiscard]] virtual std::optional<ExitStatus> exit_status() const = 0;

    /// SIGTERM to the process group, SIGKILL to whatever of it is left after `grace`; returns once
    /// the process is reaped and its group is empty. Idempotent; safe after the process exited.
    virtual ExitStatus stop(std::chrono::milliseconds grace) = 0;

    /// The last `lines` lines the process wrote to stdout/stderr (at most the last 64 KiB).
    [[nodiscard]] virtual std::string log_tail(std::size_t lines) const = 0;

    /// Registers a callback for the exit (in addition to LaunchSpec::on_exit). Runs at once, on the
    /// caller's thread, when the process has already exited; otherwise on the monitor thread.
    virtual void on_exit(std::function<void(const ExitStatus&)> callback) = 0;
};

/// Starts engine processes. The local implementation is LocalLauncher; Kubernetes comes later.
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
