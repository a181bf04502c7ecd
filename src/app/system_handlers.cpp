#include "app/system_handlers.h"

#include <nlohmann/json.hpp>

namespace atelier::app {

net::HttpResponse health(const AppContext& app) {
    nlohmann::json subsystems = nlohmann::json::object();
    bool healthy = true;
    for (const auto& [name, probe] : app.health_checks) {
        const std::string state = probe();
        healthy = healthy && state == "ok";
        subsystems[name] = state;
    }
    const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - app.started).count();
    const nlohmann::json body{{"status", healthy ? "ok" : "degraded"},
                              {"version", ATELIER_VERSION},
                              {"uptime_s", uptime},
                              {"subsystems", subsystems}};
    return net::HttpResponse::json(healthy ? 200 : 503, body.dump());
}

net::HttpResponse metrics(const AppContext& app) {
    return net::HttpResponse::text(200, app.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
}

} // namespace atelier::app
