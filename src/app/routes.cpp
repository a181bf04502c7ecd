#include "app/routes.h"

#include <memory>

#include "app/bench_endpoints.h"
#include "app/system_handlers.h"
#include "net/static_files.h"

namespace atelier::app {

using net::Access;
using net::HttpRequest;

net::Router build_routes(AppContext& app) {
    net::Router router;
    auto static_files = std::make_shared<net::StaticFiles>(app.config.web_root);

    // clang-format off
    router
        .add("GET", "/api/health", Access::Public, [&app](HttpRequest&) { return health(app); })
        .add("GET", "/metrics",    Access::Authenticated, [&app](HttpRequest&) { return metrics(app); })
        // "/?token=..." signs a browser in; plain "/" is the web app.
        .add("GET", "/",           Access::Public, [&app, static_files](HttpRequest& request) {
            return request.query.contains("token") ? app.auth.login(request) : static_files->serve(request);
        })
        .fallback(Access::Public, [static_files](HttpRequest& request) { return static_files->serve(request); });

    if (app.config.bench_endpoints) {
        router
            .websocket("/ws/echo",      Access::Authenticated, make_echo_handler())
            .websocket("/ws/broadcast", Access::Authenticated, make_broadcast_handler());
    }
    // clang-format on
    return router;
}

} // namespace atelier::app
