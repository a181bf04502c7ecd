// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "net/http_types.h"
#include "net/sse_stream.h"
#include "net/websocket.h"

namespace atelier::net {

/// Whether a route needs an authenticated caller.
enum class Access { Public, Authenticated };

namespace detail {
/// The connection side of a responder (implemented by the HTTP connection).
class ResponseSink {
public:
    virtual ~ResponseSink() = default;
    virtual void respond(HttpResponse response) = 0;
    virtual std::shared_ptr<SseStream> start_sse(Headers extra_headers) = 0;
};
} // namespace detail

/// Answers one request, exactly once, from any thread, now or later. A responder dropped without
/// answering sends 500, so a handler bug never leaves a client hanging.
class HttpResponder {
public:
    explicit HttpResponder(std::shared_ptr<detail::ResponseSink> sink) : m_sink(std::move(sink)) {}
    HttpResponder(HttpResponder&&) noexcept = default;
    HttpResponder& operator=(HttpResponder&&) noexcept = default;
    HttpResponder(const HttpResponder&) = delete;
    HttpResponder& operator=(const HttpResponder&) = delete;
    ~HttpResponder();

    void send(HttpResponse response);
    /// Answers with `200 text/event-stream` and hands the connection to the returned stream.
    [[nodiscard]] std::shared_ptr<SseStream> start_sse(Headers extra_headers = {});

private:
    std::shared_ptr<detail::ResponseSink> m_sink;
};

using HttpHandler = std::function<void(HttpRequest&, HttpResponder)>;
using SyncHttpHandler = std::function<HttpResponse(HttpRequest&)>;

/// How a streamed route takes its body: written to a new file in `directory` as it arrives (never
/// whole in memory), at most `limit` bytes (more, announced or sent, is 413).
struct StreamedBody {
    std::uint64_t limit = 0;
    std::filesystem::path directory;
};

struct Route {
    std::string method;
    std::string pattern; ///< "/api/projects/{id}"; a last segment "{name*}" takes the rest of the path
    Access access;
    HttpHandler handler;
    std::vector<std::string> segments;
    std::optional<StreamedBody> streamed; ///< set: the body arrives as HttpRequest::body_file
};

struct WebSocketRoute {
    std::string path;
    Access access;
    std::shared_ptr<WebSocketHandler> handler;
};

/// Another server a request is sent on to: a cluster hub that owns the request's project, or a
/// proxied upstream (an engine's preview server).
struct Upstream {
    std::string host;
    std::uint16_t port = 0;
    std::string what = "the hub"; ///< named in the 503 when it does not answer
    /// Added to the forwarded request: what the receiving hub needs to know (e.g. an MCP session
    /// it should carry on, mcp/mcp_server.h kAdoptHeader).
    std::vector<std::pair<std::string, std::string>> headers;
    /// How the answer comes back: read whole and re-sent (Buffered), or the two connections spliced
    /// byte for byte until the upstream closes (Spliced: for answers that stream, like MCP's SSE).
    enum class Relay { Buffered, Spliced };
    Relay relay = Relay::Buffered;
};

/// Where a proxied request goes: a host (127.0.0.1 for an engine on this machine, a Pod's IP) and
/// port, or an error answered to the client.
using ProxyResolver = std::function<Result<Upstream>(const HttpRequest&)>;

struct ProxyRoute {
    std::string prefix; ///< "/preview/": every path under it, any method, WebSocket upgrades too
    Access access;
    ProxyResolver resolve;
};

/// The header a hub adds to a request it forwards; a request carrying it is never forwarded again.
inline constexpr std::string_view kForwardedHeader = "X-Atelier-Forwarded-By";

/// The answer of a ForwardResolver: an upstream sends the request there, nullopt serves it here.
/// May be called on any thread.
using ForwardDecision = std::function<void(std::optional<Upstream>)>;

/// Consulted before any route for every request (HTTP and WebSocket upgrades) that does not carry
/// kForwardedHeader: an upstream sends the whole request (or the upgraded connection) there,
/// credentials included, once the caller is authenticated here; nullopt serves it here. Called on
/// a network thread with the complete request (its `subject` set when its credentials are valid);
/// it must call `decide` exactly once, and when the answer needs slow work (a database read), from
/// another thread: the connection waits for it, the network thread does not.
using ForwardResolver = std::function<void(const HttpRequest&, ForwardDecision decide)>;

/// The route table: every HTTP and WebSocket endpoint the hub serves, in one visible place
/// (filled by app/routes.cpp). Matching is by exact segments, `{param}` and a trailing `{rest*}`.
class Router {
public:
    Router& add(std::string method, std::string pattern, Access access, HttpHandler handler);
    Router& add(std::string method, std::string pattern, Access access, SyncHttpHandler handler);
    /// A route whose body is streamed to a file (uploads): the handler gets `body_file`, not `body`.
    /// Authentication is checked on the head, before any of the body is written.
    Router& add_streamed(std::string method, std::string pattern, Access access, StreamedBody body,
                         HttpHandler handler);
    Router& add_streamed(std::string method, std::string pattern, Access access, StreamedBody body,
                         SyncHttpHandler handler);
    Router& websocket(std::string path, Access access, std::shared_ptr<WebSocketHandler> handler);
    /// Every request under `prefix` (any method, and WebSocket upgrades) is forwarded to the port
    /// `resolve` names, with the hub's credentials removed (net/reverse_proxy.cpp).
    Router& proxy(std::string prefix, Access access, ProxyResolver resolve);
    /// The cluster's forwarding rule (one; set by app/cluster_wiring.cpp when hubs form a cluster).
    Router& forward(ForwardResolver resolve, std::string via);
    /// GET/HEAD requests that match no route (static files, the single-page app).
    Router& fallback(Access access, SyncHttpHandler handler);

    struct Match {
        const Route* route = nullptr;
        std::map<std::string, std::string> params;
    };
    /// The route for `method` and decoded `path`: NotFound, or MethodNotAllowed (message lists
    /// the allowed methods) when the path exists with other methods.
    [[nodiscard]] Result<Match> match(std::string_view method, std::string_view path) const;
    [[nodiscard]] const WebSocketRoute* match_websocket(std::string_view path) const;
    [[nodiscard]] const ProxyRoute* match_proxy(std::string_view path) const;
    [[nodiscard]] const std::vector<Route>& routes() const { return m_routes; }
    [[nodiscard]] const ForwardResolver& forwarder() const { return m_forward; }
    [[nodiscard]] const std::string& forwarded_by() const { return m_forward_via; }

private:
    std::vector<Route> m_routes;
    std::vector<WebSocketRoute> m_websocket_routes;
    std::vector<ProxyRoute> m_proxy_routes;
    std::optional<Route> m_fallback;
    ForwardResolver m_forward;
    std::string m_forward_via;
};

} // namespace atelier::net
