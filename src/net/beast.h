// SPDX-License-Identifier: Apache-2.0
#pragma once

// Internal to net: the Boost.Beast/Asio headers and aliases, in one place. Asio and Beast are
// compiled once (asio_impl.cpp, BOOST_*_SEPARATE_COMPILATION), so including these is cheap-ish;
// still, no header outside net may include this file.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "net/router.h"

namespace atelier::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

struct ServerContext;

/// A connection's slot in its client address's count (connection_limits.h), held for the life of
/// the connection and handed on with its socket; empty when not counted.
using AddressLease = std::shared_ptr<void>;

/// Starts serving HTTP on an accepted socket.
void start_http_connection(tcp::socket socket, ServerContext& context, AddressLease lease = {});

/// Completes a WebSocket upgrade and runs the connection with `handler`.
void start_websocket(beast::tcp_stream stream, http::request<http::string_body> upgrade, HttpRequest request,
                     std::shared_ptr<WebSocketHandler> handler, ServerContext& context, AddressLease lease);

/// Rewrites a request for a proxied upstream (router.h `proxy`): no hub credentials, the upstream's
/// own Host (and Origin, when there is one), and for plain requests no hop-by-hop headers.
void prepare_upstream_request(http::request<http::string_body>& request, const Upstream& upstream, bool upgrade);

/// Rewrites a request for another hub of the cluster (router.h `forward`): credentials and Host
/// kept, marked with kForwardedHeader = `via` so that it is never forwarded again.
void prepare_hub_request(http::request<http::string_body>& request, std::string_view via, bool upgrade);

/// Sends `request` to `upstream` (its host resolved) over a fresh connection and calls `done` with
/// the whole response, or a 503 error saying why the upstream did not answer.
void forward_http(const asio::any_io_executor& executor, Upstream upstream, http::request<http::string_body> request,
                  std::function<void(HttpResponse)> done);
/// Writes the request (an upgrade, or one whose answer streams) to `upstream` and splices the two
/// connections byte for byte until either side closes.
void start_tunnel(beast::tcp_stream client, beast::flat_buffer pending, http::request<http::string_body> upgrade,
                  Upstream upstream, ServerContext& context, AddressLease lease);

/// Writes the SSE response head and returns the stream that owns the socket from now on.
std::shared_ptr<SseStream> start_sse(beast::tcp_stream stream, Headers extra_headers, ServerContext& context,
                                     AddressLease lease);

} // namespace atelier::net::detail
