#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "app/token_auth.h"
#include "core/config.h"
#include "core/metrics.h"

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
};

} // namespace atelier::app
