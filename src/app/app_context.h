// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/api_context.h"
#include "app/token_auth.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/timer_queue.h"
#include "core/worker.h"
#include "core/worker_pool.h"
#include "engines/engine_directory.h"
#include "engines/launch_tokens.h"
#include "sessions/session_manager.h"
#include "store/project_locks.h"
#include "store/store.h"

namespace atelier::mcp {
class McpServer;
}

namespace atelier::app {

/// What the route handlers share: the configuration, the auth, the metrics and the subsystems'
/// health probes. Built once by `serve` and outliving the server.
struct AppContext {
    Config config;
    TokenAuth auth;
    MetricsRegistry& metrics;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    /// name → "ok" or a short description of what is wrong; shown by GET /api/health.
    std::vector<std::pair<std::string, std::function<std::string()>>> health_checks;
    /// One write lock per project, shared by REST and the sessions (declared before both).
    store::ProjectLocks project_locks;
    /// The metadata store (users, projects, messages, versions), open for the hub's lifetime.
    std::unique_ptr<store::Store> store;
    /// What the REST handlers of src/api share (the store, project repos, engine kinds).
    std::unique_ptr<api::ApiContext> api;
    /// Deadlines (call timeouts, handshakes); stopped first at shutdown, before what it calls into.
    std::unique_ptr<TimerQueue> timers;
    /// The warm pool's engine launches and stops.
    std::unique_ptr<Worker> worker;
    /// Sessions' slow work (checkouts, commits, launches, stops), in order per project.
    std::unique_ptr<WorkerPool> workers;
    /// One-time tokens that engines present in engine/hello.
    std::unique_ptr<engines::LaunchTokens> launch_tokens;
    /// The connected engines (/ws/engine).
    std::shared_ptr<engines::EngineDirectory> engines;
    /// Live sessions: projects joined to engines and browser tabs.
    std::shared_ptr<sessions::SessionManager> sessions;
    /// The MCP server at /mcp (made with the routes; the cluster's forwarder relays its sessions).
    std::shared_ptr<mcp::McpServer> mcp;
    /// The versions' pictures (thumbnails_dir(config)); set by `serve` before the routes are built.
    std::filesystem::path thumbnails_dir;
};

} // namespace atelier::app
