// SPDX-License-Identifier: Apache-2.0
#include "app/serve.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/agent_config.h"
#include "app/cluster_wiring.h"
#include "app/engine_starter.h"
#include "app/hub_services.h"
#include "app/routes.h"
#include "app/store_setup.h"
#include "app/viewport_rtc_setup.h"
#include "core/logging.h"
#include "mcp/mcp_server.h"
#include "net/server.h"
#include "store/session_leases.h"
#include "store/version_thumbnails.h"

namespace atelier::app {
namespace {

std::chrono::milliseconds to_milliseconds(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

net::ServerOptions server_options(const Config& config) {
    net::ServerOptions options;
    options.host = config.host;
    options.port = static_cast<std::uint16_t>(config.port);
    options.threads =
        config.threads > 0 ? static_cast<unsigned>(config.threads) : std::max(1U, std::thread::hardware_concurrency());
    options.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
    options.max_header_bytes = static_cast<std::size_t>(config.max_header_bytes);
    options.ws_max_text_bytes = static_cast<std::size_t>(config.ws_max_text_bytes);
    options.ws_max_binary_bytes = static_cast<std::size_t>(config.ws_max_binary_bytes);
    options.ws_send_queue_bytes = static_cast<std::size_t>(config.ws_send_queue_bytes);
    options.http_idle_timeout = to_milliseconds(config.http_idle_timeout_s);
    options.ws_idle_timeout = to_milliseconds(config.ws_idle_timeout_s);
    options.sse_heartbeat = to_milliseconds(config.sse_heartbeat_s);
    options.close_timeout = to_milliseconds(std::max(config.shutdown_drain_s, 0.5));
    options.unix_socket_path = config.engine_socket;
    options.max_connections = static_cast<std::size_t>(config.max_connections);
    options.max_connections_per_address = static_cast<std::size_t>(config.max_connections_per_address);
    return options;
}

Result<void> prepare_data_dir(const std::filesystem::path& data_dir) {
    std::error_code error;
    std::filesystem::create_directories(data_dir, error);
    if (error) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("cannot create data dir {}: {}", data_dir.string(), error.message()));
    }
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace,
                                 error);
    // Uploads stream to <data>/uploads/*.part. One there at start belongs to a hub that died
    // mid-upload (kill -9, power cut): never acknowledged, never committed, so it goes.
    for (const auto& entry : std::filesystem::directory_iterator(data_dir / "uploads", error)) {
        if (entry.path().extension() == ".part") {
            std::error_code ignored;
            std::filesystem::remove(entry.path(), ignored);
        }
    }
    return {};
}

std::optional<std::string> token_override() {
    const char* value = std::getenv("ATELIER_TOKEN");
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

int fatal(const Error& error) {
    std::fprintf(stderr, "atelier: %s\n", error.message.c_str());
    return error.code == ErrorCode::InvalidConfig ? 2 : 1;
}

} // namespace

int serve(const Config& config) {
    const auto format = config.log_format == "json" ? LogFormat::Json : LogFormat::Text;
    if (auto logging = init_logging(format, config.log_level); !logging) {
        return fatal(logging.error());
    }
    if (auto prepared = prepare_data_dir(config.data_dir); !prepared) {
        return fatal(prepared.error());
    }
    auto auth = TokenAuth::load(config.data_dir, token_override());
    if (!auth) {
        return fatal(auth.error());
    }
    auto hub_store = open_hub_store(config);
    if (!hub_store) {
        return fatal(hub_store.error());
    }
    if (auto registered = register_admin_token(*hub_store->store, hub_store->admin, auth->token()); !registered) {
        return fatal(registered.error());
    }

    MetricsRegistry metrics;
    AppContext app{config, std::move(*auth), metrics, std::chrono::steady_clock::now(), {}};
    app.health_checks.emplace_back("http", [] { return std::string("ok"); });
    app.auth.attach_store(*hub_store->store, hub_store->admin.id);
    app.store = std::move(hub_store->store);
    app.api = std::make_unique<api::ApiContext>(*app.store, config, app.project_locks);
    app.health_checks.emplace_back("store", [&app] {
        auto ping = app.store->ping();
        return ping ? std::string("ok") : ping.error().message;
    });

    app.timers = std::make_unique<TimerQueue>();
    app.worker = std::make_unique<Worker>("atelier-pool");
    app.workers = std::make_unique<WorkerPool>("atelier-work", 4);
    app.launch_tokens = std::make_unique<engines::LaunchTokens>();
    app.engines = std::make_shared<engines::EngineDirectory>(
        *app.launch_tokens, *app.timers,
        engines::EngineDirectory::Options{.call_timeout = to_milliseconds(config.engine_call_timeout_s),
                                          .hello_timeout = to_milliseconds(config.engine_hello_timeout_s)});

    // Hubs sharing a PostgreSQL database and each with a hub URL form a cluster (docs/scaling.md).
    auto cluster = open_cluster(config);
    if (!cluster) {
        return fatal(cluster.error());
    }
    sessions::SessionOptions session_options;
    if (*cluster) {
        session_options.directory = (*cluster)->directory;
    }
    session_options.grace = to_milliseconds(config.session_grace_s);
    session_options.sessions_dir = std::filesystem::path(config.data_dir) / "sessions";
    session_options.renders_dir = config.renders_dir;
    app.thumbnails_dir = thumbnails_dir(config);
    session_options.thumbnails_dir = app.thumbnails_dir;
    session_options.kinds = config.engines;
    session_options.max_attempts = static_cast<int>(config.engine_max_attempts);
    app.sessions = std::make_shared<sessions::SessionManager>(
        sessions::SessionManager::Deps{*app.store, app.api->repos(), app.project_locks, *app.engines,
                                       *app.launch_tokens, *app.timers, *app.workers, *app.worker,
                                       make_engine_starter(config)},
        session_options);
    app.sessions->attach();
    const auto viewport_rtc = start_viewport_rtc(config); // null: JPEG frames only
    app.sessions->set_rtc(viewport_rtc);
    if (*cluster) {
        *(*cluster)->sessions = app.sessions;
    }
    // Live sessions follow what REST does to their project.
    app.api->on_restored = [&app](const std::string& user, const std::string& project) {
        app.sessions->project_restored(user, project);
    };
    app.api->on_deleted = [&app](const std::string& user, const std::string& project) {
        app.sessions->project_deleted(user, project);
        std::error_code ignored;
        std::filesystem::remove_all(std::filesystem::path(app.config.renders_dir) / project, ignored);
        store::VersionThumbnails(app.thumbnails_dir).remove_project(project);
    };
    app.api->render_dirs = [&app](const std::string& user, const std::string& project) {
        return app.sessions->render_dirs(user, project);
    };
    app.api->edit_through_session = [&app](const std::string& user, const std::string& project,
                                           std::vector<store::FileEdit> edits, const std::string& message,
                                           std::function<void(Result<std::string>)> done) {
        return app.sessions->edit_files(user, project, std::move(edits), message, std::move(done));
    };
    // The agent answers message:send; without a model it tells the user how to configure one.
    auto hub_agent = std::make_shared<agent::Agent>(
        *app.store, agent::agent_options(config, [](const std::string& name) -> std::optional<std::string> {
            const char* value = std::getenv(name.c_str());
            return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
        }));
    hub_agent->set_sessions(app.sessions);
    hub_agent->set_metrics(metrics);
    hub_agent->set_hub_services(make_hub_services(*app.api));
    app.sessions->set_agent(hub_agent);
    if (hub_agent->has_model()) {
        spdlog::info("agent: {} model {}{}", config.model_provider, config.model_name,
                     config.model_base_url.empty() ? "" : " at " + config.model_base_url);
    } else {
        spdlog::info("agent: no model configured; natural-language turns are off");
    }

    auto routes = build_routes(app);
    if (*cluster) {
        routes.forward(cluster_forwarder(**cluster, app.mcp), config.hub_url);
        app.mcp->set_peers(
            mcp::McpServer::PeerHubs{.others = [leases = (*cluster)->leases] { return leases->other_live_hubs(); },
                                     .self = [leases = (*cluster)->leases] { return leases->hub_url(); },
                                     .admin_token = app.auth.token(),
                                     .admin_subject = app.auth.admin_id()});
    }
    auto server = net::Server::create(
        server_options(config), std::move(routes),
        [&app](const net::HttpRequest& request) { return app.auth.authenticate(request); }, metrics);
    if (!server) {
        return fatal(server.error());
    }
    auto& hub = **server;
    if (*cluster) {
        complete_hub_url(**cluster, hub.port());
    }
    const auto drain = to_milliseconds(config.shutdown_drain_s);
    app.sessions->set_hub_url(
        fmt::format("ws://{}:{}/ws/engine", config.host == "0.0.0.0" ? "127.0.0.1" : config.host, hub.port()));
    app.sessions->start_pool();
    // Sessions save and stop their engines first (that needs the network threads), then the
    // server drains; both within the drain time.
    std::thread stopper;
    hub.on_signal([&] {
        if (!stopper.joinable()) {
            stopper = std::thread([&] {
                app.sessions->shutdown(drain);
                hub.stop(drain);
            });
        }
    });

    hub.run([&] {
        const std::string base = fmt::format("http://{}:{}", config.host, hub.port());
        spdlog::info("data dir {}, web root {}", config.data_dir, config.web_root);
        // The ready line is a fixed interface: scripts and tests wait for it.
        std::printf("atelier listening on %s\n", base.c_str());
        std::printf("atelier open %s/?token=%s\n", base.c_str(), app.auth.token().c_str());
        std::fflush(stdout);
    });
    if (stopper.joinable()) {
        stopper.join();
    }
    if (viewport_rtc) {
        viewport_rtc->stop();
    }
    hub_agent->shutdown(); // turns were cancelled with their sessions; wait for their threads
    // Nothing queued may run, and no deadline fire, into what is being torn down.
    app.workers->stop();
    app.worker->stop();
    if (*cluster) {
        (*cluster)->lookups->stop();
    }
    app.timers.reset();
    spdlog::info("stopped");
    return 0;
}

} // namespace atelier::app
