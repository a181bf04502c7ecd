// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace atelier::engines {

/// What the supervisor asks the starter for: one engine process of a kind.
struct EngineLaunch {
    std::string kind;
    std::vector<std::string> command;
    bool sandbox = false;
    std::filesystem::path workdir;
    std::filesystem::path log_file;
    std::map<std::string, std::string> env; ///< ATELIER_HUB_URL, ATELIER_ENGINE_TOKEN, ...
};

/// A started engine, as the supervisor and its owner see it: app/ adapts an `EngineProcess` of the
/// kind's launcher (LauncherRegistry: local, docker, kubernetes) to it; tests use a fake.
class RunningEngine {
public:
    virtual ~RunningEngine() = default;
    /// SIGTERM, then SIGKILL after `grace`; returns once the process is gone.
    virtual void stop(std::chrono::milliseconds grace) = 0;
    /// The last lines the engine printed (for "lost" reasons).
    [[nodiscard]] virtual std::string log_tail() = 0;
    /// The host pid when the engine runs in the hub's PID namespace, else 0.
    [[nodiscard]] virtual int pid() const = 0;
    /// Called once, from any thread, when the process exits by itself (at once, on the caller's
    /// thread, when it already has).
    virtual void on_exit(std::function<void(const std::string& status)> callback) = 0;
    /// Called, from any thread, with what the launcher tells about the engine while it starts and
    /// runs (a Pod's phase and reason); launchers with nothing to tell never call it.
    virtual void on_status(std::function<void(const std::string& status)> callback) { (void)callback; }
    /// The host the engine's preview server is reached on (its port comes in `preview/ready`):
    /// loopback, or e.g. a Pod's IP; empty while unknown.
    [[nodiscard]] virtual std::string preview_host() const { return "127.0.0.1"; }
};

/// Starts one engine process: the seam between supervision and the launchers (app/engine_starter.cpp).
using EngineStarter = std::function<Result<std::unique_ptr<RunningEngine>>(const EngineLaunch&)>;

} // namespace atelier::engines
