// SPDX-License-Identifier: Apache-2.0
#include "app/routes.h"

#include <memory>
#include <string>
#include <vector>

#include "api/assets_api.h"
#include "api/diff_api.h"
#include "api/engines_api.h"
#include "api/files_api.h"
#include "api/import_api.h"
#include "api/json_request.h"
#include "api/projects_api.h"
#include "api/renders_api.h"
#include "api/sign_in_api.h"
#include "api/thumbnails_api.h"
#include "api/tokens_api.h"
#include "api/upload_api.h"
#include "api/versions_api.h"
#include "app/bench_endpoints.h"
#include "app/system_handlers.h"
#include "mcp/mcp_server.h"
#include "net/static_files.h"
#include "sessions/browser_handler.h"

namespace atelier::app {

using net::Access;
using net::HttpRequest;

namespace {

/// "/preview/<session-id>/rest" → "<session-id>".
std::string preview_session(std::string_view path) {
    path.remove_prefix(std::string_view("/preview/").size());
    return std::string(path.substr(0, path.find('/')));
}

/// Where /preview/<session-id>/... goes: that session's engine's preview server.
Result<net::Upstream> preview_upstream(AppContext& app, const HttpRequest& request) {
    auto address = app.sessions->preview_address(request.subject, preview_session(request.path));
    if (!address) {
        return fail(address.error());
    }
    return net::Upstream{std::move(address->host), address->port, "the preview server"};
}

} // namespace

net::Router build_routes(AppContext& app) {
    net::Router router;
    auto static_files = std::make_shared<net::StaticFiles>(app.config.web_root);
    std::vector<std::string> kinds;
    for (const auto& [kind, settings] : app.config.engines) {
        kinds.push_back(kind);
    }
    const api::EnginesApi engines{*app.engines, *app.launch_tokens, std::move(kinds)};
    auto thumbnails = std::make_shared<api::ThumbnailsApi>(*app.api, app.thumbnails_dir);
    auto sign_in = std::make_shared<api::SignInApi>(*app.store, TokenAuth::kCookieName);
    api::ApiContext& rest = *app.api;
    auto mcp = std::make_shared<mcp::McpServer>(
        rest, app.sessions, *app.timers,
        std::chrono::milliseconds(static_cast<std::int64_t>(app.config.mcp_idle_timeout_s * 1000)), &app.metrics,
        std::chrono::milliseconds(static_cast<std::int64_t>(app.config.session_grace_s * 1000)));
    mcp->start();
    app.mcp = mcp;

    // clang-format off
    router
        .add("GET", "/api/health", Access::Public, [&app](HttpRequest&) { return health(app); })
        .add("GET", "/metrics",    Access::Authenticated, [&app](HttpRequest&) { return metrics(app); })
        // Projects, messages, versions, files and tokens (src/api, docs/api.md).
        .add("GET",    "/api/projects",                            Access::Authenticated, [&rest](HttpRequest& request) { return api::list_projects(rest, request); })
        .add("POST",   "/api/projects",                            Access::Authenticated, [&rest](HttpRequest& request) { return api::create_project(rest, request); })
        .add("GET",    "/api/projects/{id}",                       Access::Authenticated, [&rest](HttpRequest& request) { return api::get_project(rest, request); })
        .add("PATCH",  "/api/projects/{id}",                       Access::Authenticated, [&rest](HttpRequest& request) { return api::update_project(rest, request); })
        .add("DELETE", "/api/projects/{id}",                       Access::Authenticated, [&rest](HttpRequest& request) { return api::delete_project(rest, request); })
        .add("GET",    "/api/projects/{id}/messages",              Access::Authenticated, [&rest](HttpRequest& request) { return api::list_messages(rest, request); })
        .add("GET",    "/api/projects/{id}/versions",              Access::Authenticated, [&rest](HttpRequest& request) { return api::list_versions(rest, request); })
        .add("POST",   "/api/projects/{id}/versions/{rev}/restore", Access::Authenticated, [&rest](HttpRequest& request) { return api::restore_version(rest, request); })
        .add("GET",    "/api/projects/{id}/files/{path*}",         Access::Authenticated, [&rest](HttpRequest& request) { return api::download_file(rest, request); })
        .add("GET",    "/api/projects/{id}/renders",               Access::Authenticated, [&rest](HttpRequest& request) { return api::list_renders(rest, request); })
        .add("GET",    "/api/projects/{id}/renders/{name}",        Access::Authenticated, [&rest](HttpRequest& request) { return api::download_render(rest, request); })
        .add("POST",   "/api/tokens",                              Access::Authenticated, [&rest](HttpRequest& request) { return api::create_token(rest, request); })
        // Password sign-in for browsers where accounts exist (docs/api.md "Sign-in").
        .add("POST",   "/api/login",                               Access::Public, [sign_in](HttpRequest& request, net::HttpResponder respond) { sign_in->sign_in(request, std::move(respond)); })
        .add("POST",   "/api/logout",                              Access::Public, [&app, sign_in](HttpRequest& request) { return sign_in->sign_out(request, app.auth.authenticate(request)); })
        // "/?token=..." signs a browser in; plain "/" is the web app.
        .add("GET", "/",           Access::Public, [&app, static_files](HttpRequest& request) {
            return request.query.contains("token") ? app.auth.login(request) : static_files->serve(request);
        })
        // Engines (DESIGN §4): they authenticate with their launch token in engine/hello.
        .websocket("/ws/engine", Access::Public, app.engines)
        // Browsers (DESIGN §4): sessions, commands, live frames.
        .websocket("/ws/browser", Access::Authenticated, std::make_shared<sessions::BrowserHandler>(app.sessions))
        // Live previews (Remotion's player page, docs/remotion.md): the engine's dev server, proxied with
        // its HMR WebSocket, for the session's owner only.
        .proxy("/preview/", Access::Authenticated, [&app](const HttpRequest& r) { return preview_upstream(app, r); })
        .add("GET",    "/api/sessions",                         Access::Authenticated, [&app](HttpRequest& r) { return api::json_response(200, app.sessions->list(r.subject)); })
        .add("GET",    "/api/engines",                          Access::Authenticated, [engines](HttpRequest& r) { return engines.list(r); })
        .add("GET",    "/api/engines/pool",                     Access::Authenticated, [&app](HttpRequest&) { return api::json_response(200, {{"kinds", app.sessions->pool_status()}}); })
        .add("POST",   "/api/engines/launch-tokens",            Access::Authenticated, [engines](HttpRequest& r) { return engines.issue_launch_token(r); })
        .add("GET",    "/api/engines/{id}/tools",               Access::Authenticated, [engines](HttpRequest& r) { return engines.tools(r); })
        .add("POST",   "/api/engines/{id}/call",                Access::Authenticated, [engines](HttpRequest& r, net::HttpResponder respond) { engines.call(r, std::move(respond)); })
        .add("DELETE", "/api/engines/{id}/calls/{call_id}",     Access::Authenticated, [engines](HttpRequest& r) { return engines.cancel(r); })
        // MCP clients (DESIGN §4, docs/mcp.md): Streamable HTTP, the same tokens as the API.
        .add("POST",   "/mcp",                                  Access::Authenticated, [mcp](HttpRequest& r, net::HttpResponder respond) { mcp->post(r, std::move(respond)); })
        .add("GET",    "/mcp",                                  Access::Authenticated, [mcp](HttpRequest& r, net::HttpResponder respond) { mcp->get(r, std::move(respond)); })
        .add("DELETE", "/mcp",                                  Access::Authenticated, [mcp](HttpRequest& r) { return mcp->remove(r); })
        .add("POST",   std::string(mcp::kPeerToolsChangedPath), Access::Authenticated, [mcp](HttpRequest& r) { return mcp->peer_tools_changed(r); })
        .fallback(Access::Public, [static_files](HttpRequest& request) { return static_files->serve(request); });

    if (app.config.bench_endpoints) {
        router
            .websocket("/ws/echo",      Access::Authenticated, make_echo_handler())
            .websocket("/ws/broadcast", Access::Authenticated, make_broadcast_handler())
            .websocket("/ws/bench-call", Access::Authenticated, make_bench_call_handler(*app.engines));
    }
    // Uploads (issue 18, docs/files.md): the body is streamed to <data>/uploads, never held in memory.
    const net::StreamedBody upload{static_cast<std::uint64_t>(app.config.upload_bytes),
                                   std::filesystem::path(app.config.data_dir) / "uploads"};
    router
        .add_streamed("PUT", "/api/projects/{id}/files/{path*}", Access::Authenticated, upload, [&rest](HttpRequest& r, net::HttpResponder respond) { api::upload_file(rest, r, std::move(respond)); })
        .add("DELETE", "/api/projects/{id}/files/{path*}",          Access::Authenticated, [&rest](HttpRequest& r, net::HttpResponder respond) { api::delete_file(rest, r, std::move(respond)); })
        .add("GET",    "/api/projects/{id}/versions/{rev}/diff",    Access::Authenticated, [&rest](HttpRequest& r) { return api::diff_versions(rest, r); })
        .add("POST",   "/api/projects/{id}/import",                 Access::Authenticated, [&rest](HttpRequest& r, net::HttpResponder respond) { api::import_file(rest, r, std::move(respond)); })
        .add("GET",    "/api/assets",                               Access::Authenticated, [&rest](HttpRequest& r) { return api::list_assets(rest, r); })
        // Version pictures (docs/api.md "Thumbnails"): the viewport when the version was made.
        .add("GET",    "/api/projects/{id}/versions/{rev}/thumbnail", Access::Authenticated, [thumbnails](HttpRequest& r) { return thumbnails->version(r); })
        .add("GET",    "/api/projects/{id}/thumbnails",             Access::Authenticated, [thumbnails](HttpRequest& r) { return thumbnails->list(r); })
        .add("GET",    "/api/projects/{id}/thumbnail",              Access::Authenticated, [thumbnails](HttpRequest& r) { return thumbnails->newest(r); });
    // clang-format on
    return router;
}

} // namespace atelier::app
