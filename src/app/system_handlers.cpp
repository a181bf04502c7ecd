// SPDX-License-Identifier: Apache-2.0
#include "app/system_handlers.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "agent/agent_config.h"

namespace atelier::app {
namespace {

/// Whether natural-language turns work, and if not why and what to set — the same verdict the
/// agent reached at start (both read the config and the same environment variables).
nlohmann::json model_status(const Config& config) {
    const auto options = agent::agent_options(config, [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
    });
    if (options.model) {
        return {{"configured", true}, {"provider", options.model->provider}, {"model", options.model->model}};
    }
    return {{"configured", false},
            {"reason", options.not_configured},
            {"message", agent::no_model_message(options.not_configured)}};
}

/// True when users besides the admin exist: the sign-in page then offers user name and password.
bool has_accounts(const AppContext& app) {
    if (!app.store) {
        return false;
    }
    const auto users = app.store->list_users();
    return users && users->size() > 1;
}

} // namespace

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
                              {"subsystems", subsystems},
                              {"model", model_status(app.config)},
                              {"accounts", has_accounts(app)}};
    return net::HttpResponse::json(healthy ? 200 : 503, body.dump());
}

net::HttpResponse metrics(const AppContext& app) {
    return net::HttpResponse::text(200, app.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
}

} // namespace atelier::app
