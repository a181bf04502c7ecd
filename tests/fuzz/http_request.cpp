// SPDX-License-Identifier: Apache-2.0
// Bytes from a browser or an MCP client on the HTTP port, through what http_connection.cpp does
// with them: Beast's request parser (with the hub's head and body limits), the conversion into an
// HttpRequest, target parsing (path and query), and the route table's matching. Properties:
// nothing throws; a decoded path never holds a NUL; a matched route's parameters are non-empty
// and, except a trailing `{rest*}`, hold no '/'.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "fuzz_check.h"
#include "net/request_conversion.h"
#include "net/router.h"

using namespace atelier::net;
namespace http = boost::beast::http;

namespace {

// Patterns in the shape of src/app/routes.cpp.
const Router& router() {
    static const Router table = [] {
        Router routes;
        const SyncHttpHandler answer = [](HttpRequest&) { return HttpResponse{}; };
        for (const auto* pattern :
             {"/api/health", "/api/projects", "/api/projects/{id}", "/api/projects/{id}/files/{path*}",
              "/api/projects/{id}/versions/{rev}/restore", "/api/projects/{id}/renders/{name}",
              "/api/engines/{id}/calls/{call_id}", "/api/sessions", "/mcp", "/metrics"}) {
            routes.add("GET", pattern, Access::Authenticated, answer);
            routes.add("POST", pattern, Access::Authenticated, answer);
        }
        routes.add("DELETE", "/api/projects/{id}", Access::Authenticated, answer);
        routes.websocket("/ws/browser", Access::Authenticated, nullptr);
        routes.proxy("/preview/", Access::Authenticated, [](const HttpRequest&) {
            return atelier::Result<Upstream>(Upstream{"127.0.0.1", 1, "the preview server"});
        });
        return routes;
    }();
    return table;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    parser.eager(true);
    boost::beast::error_code error;
    std::string_view rest = atelier::fuzz::as_text(data, size);
    while (!rest.empty() && !parser.is_done()) {
        const std::size_t used = parser.put(boost::asio::const_buffer(rest.data(), rest.size()), error);
        if (error == http::error::need_more) {
            break;
        }
        if (error) {
            return 0;
        }
        if (used == 0) {
            break;
        }
        rest.remove_prefix(used);
    }
    if (!parser.is_header_done()) {
        return 0;
    }
    // The same conversion the hub's connections make.
    HttpRequest request = to_request(parser.get(), "127.0.0.1");
    if (!parse_target(request.target, request.path, request.query)) {
        return 0;
    }
    ATELIER_FUZZ_CHECK(request.path.find('\0') == std::string::npos);
    (void)request.cookie("atelier_token");
    (void)router().match_proxy(request.path);
    (void)router().match_websocket(request.path);
    auto match = router().match(request.method, request.path);
    if (match) {
        for (const auto& [name, value] : match->params) {
            ATELIER_FUZZ_CHECK(!value.empty());
            ATELIER_FUZZ_CHECK(name == "path" || value.find('/') == std::string::npos);
        }
    }
    return 0;
}
