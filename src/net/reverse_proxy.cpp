// SPDX-License-Identifier: Apache-2.0
// Reverse proxy to a loopback port (Router::proxy): plain requests are forwarded one at a time
// and answered through the client's connection; a WebSocket upgrade turns the client's
// connection into a byte tunnel, so the upstream's handshake (subprotocols included) and frames
// pass through untouched.

#include <array>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/beast.h"
#include "net/server_context.h"

namespace atelier::net::detail {
namespace {

constexpr std::size_t kMaxUpstreamBody = 256U * 1024 * 1024;
constexpr auto kUpstreamTimeout = std::chrono::seconds(60);

// Headers that describe one hop, not the message: never forwarded (RFC 9110 §7.6.1).
bool hop_by_hop(std::string_view name) {
    for (const std::string_view hop : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
                                       "trailer", "upgrade", "proxy-authenticate", "proxy-authorization"}) {
        if (beast::iequals(name, hop)) {
            return true;
        }
    }
    return false;
}

std::string unanswered(const Upstream& upstream, const beast::error_code& error) {
    return fmt::format("{} ({}:{}) did not answer: {}", upstream.what, upstream.host, upstream.port, error.message());
}

HttpResponse bad_gateway(const Upstream& upstream, const beast::error_code& error) {
    return HttpResponse::error(ErrorCode::Unavailable, unanswered(upstream, error));
}

// Resolves the upstream's host (a name or an address) and connects `stream` to it.
template <class Handler>
void connect(tcp::resolver& resolver, beast::tcp_stream& stream, const Upstream& upstream, Handler handler) {
    resolver.async_resolve(upstream.host, std::to_string(upstream.port),
                           [&stream, handler](beast::error_code error, const tcp::resolver::results_type& results) {
                               if (error) {
                                   return handler(error);
                               }
                               stream.async_connect(results,
                                                    [handler](beast::error_code connect_error, const tcp::endpoint&) {
                                                        handler(connect_error);
                                                    });
                           });
}

// One forwarded request: connect, write, read the whole response, hand it back.
class ForwardedRequest final : public std::enable_shared_from_this<ForwardedRequest> {
public:
    ForwardedRequest(const asio::any_io_executor& executor, Upstream upstream, http::request<http::string_body> request,
                     std::function<void(HttpResponse)> done)
        : m_upstream(executor), m_resolver(executor), m_target(std::move(upstream)), m_request(std::move(request)),
          m_done(std::move(done)) {
        m_parser.body_limit(kMaxUpstreamBody);
        m_parser.skip(m_request.method() == http::verb::head);
    }

    void start() {
        m_upstream.expires_after(kUpstreamTimeout);
        connect(m_resolver, m_upstream, m_target, [self = shared_from_this()](beast::error_code error) {
            if (error) {
                return self->finish(bad_gateway(self->m_target, error));
            }
            self->write();
        });
    }

private:
    void write() {
        http::async_write(m_upstream, m_request, [self = shared_from_this()](beast::error_code error, std::size_t) {
            if (error) {
                return self->finish(bad_gateway(self->m_target, error));
            }
            http::async_read(self->m_upstream, self->m_buffer, self->m_parser,
                             [self](beast::error_code read_error, std::size_t) { self->on_read(read_error); });
        });
    }

    void on_read(beast::error_code error) {
        if (error) {
            return finish(bad_gateway(m_target, error));
        }
        auto& message = m_parser.get();
        HttpResponse response;
        response.status = static_cast<int>(message.result_int());
        for (const auto& field : message) {
            if (!hop_by_hop(field.name_string()) && !beast::iequals(field.name_string(), "content-length")) {
                response.headers.add(std::string(field.name_string()), std::string(field.value()));
            }
        }
        response.body = std::move(message.body());
        finish(std::move(response));
    }

    void finish(HttpResponse response) {
        beast::error_code ignored;
        m_upstream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        m_upstream.close();
        m_done(std::move(response));
    }

    beast::tcp_stream m_upstream;
    tcp::resolver m_resolver;
    Upstream m_target;
    http::request<http::string_body> m_request;
    std::function<void(HttpResponse)> m_done;
    beast::flat_buffer m_buffer;
    http::response_parser<http::string_body> m_parser;
};

// A WebSocket (or any upgraded) connection spliced to the upstream, byte for byte.
class Tunnel final : public std::enable_shared_from_this<Tunnel>, public Closable {
public:
    Tunnel(beast::tcp_stream client, ServerContext& context, AddressLease lease)
        : m_client(std::move(client)), m_upstream(m_client.get_executor()), m_resolver(m_client.get_executor()),
          m_context(context), m_id(context.next_id()), m_lease(std::move(lease)) {}

    ~Tunnel() override { m_context.connections.remove(m_id); }

    void start(Upstream upstream, http::request<http::string_body> upgrade, beast::flat_buffer pending) {
        m_context.connections.add(m_id, weak_from_this());
        m_target = std::move(upstream);
        m_head = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
        m_pending = std::move(pending);
        m_upstream.expires_after(kUpstreamTimeout);
        connect(m_resolver, m_upstream, m_target, [self = shared_from_this()](beast::error_code error) {
            if (error) {
                return self->refuse(error);
            }
            http::async_write(self->m_upstream, *self->m_head, [self](beast::error_code write_error, std::size_t) {
                if (write_error) {
                    return self->refuse(write_error);
                }
                self->m_head.reset();
                self->m_upstream.expires_never();
                self->flush_pending();
            });
        });
    }

    void shutdown() override {
        asio::post(m_client.get_executor(), [self = shared_from_this()] { self->close_both(); });
    }

private:
    // Bytes the client sent after its request head (there should be none before the 101).
    void flush_pending() {
        if (m_pending.size() == 0) {
            return pump_both();
        }
        asio::async_write(m_upstream, m_pending.data(),
                          [self = shared_from_this()](beast::error_code error, std::size_t) {
                              if (error) {
                                  return self->close_both();
                              }
                              self->m_pending.clear();
                              self->pump_both();
                          });
    }

    void pump_both() {
        pump(m_client, m_upstream, m_from_client);
        pump(m_upstream, m_client, m_from_upstream);
    }

    void pump(beast::tcp_stream& from, beast::tcp_stream& to, std::array<char, 16 * 1024>& buffer) {
        from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to,
                                                    &buffer](beast::error_code error, std::size_t bytes) {
            if (error) {
                return self->close_both();
            }
            asio::async_write(to, asio::buffer(buffer.data(), bytes),
                              [self, &from, &to, &buffer](beast::error_code write_error, std::size_t) {
                                  if (write_error) {
                                      return self->close_both();
                                  }
                                  self->pump(from, to, buffer);
                              });
        });
    }

    void refuse(const beast::error_code& error) {
        spdlog::warn("proxy: upgrade to {}:{} failed: {}", m_target.host, m_target.port, error.message());
        const std::string body =
            fmt::format(R"({{"error":{{"code":"unavailable","message":"{}"}}}})", unanswered(m_target, error));
        auto text = std::make_shared<std::string>(
            fmt::format("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
                        "{}\r\nConnection: close\r\n\r\n{}",
                        body.size(), body));
        asio::async_write(m_client, asio::buffer(*text),
                          [self = shared_from_this(), text](beast::error_code, std::size_t) { self->close_both(); });
    }

    void close_both() {
        beast::error_code ignored;
        for (auto* stream : {&m_client, &m_upstream}) {
            stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream->close();
        }
    }

    beast::tcp_stream m_client;
    beast::tcp_stream m_upstream;
    tcp::resolver m_resolver;
    ServerContext& m_context;
    std::uint64_t m_id;
    AddressLease m_lease;
    Upstream m_target;
    std::shared_ptr<http::request<http::string_body>> m_head;
    beast::flat_buffer m_pending;
    std::array<char, 16 * 1024> m_from_client{};
    std::array<char, 16 * 1024> m_from_upstream{};
};

} // namespace

void prepare_upstream_request(http::request<http::string_body>& request, const Upstream& upstream, bool upgrade) {
    // The hub's credentials stay with the hub; the upstream sees a request from its own origin.
    request.erase(http::field::authorization);
    request.erase(http::field::cookie);
    const std::string host = upstream.host.find(':') != std::string::npos ? "[" + upstream.host + "]" : upstream.host;
    request.set(http::field::host, fmt::format("{}:{}", host, upstream.port));
    if (request.count(http::field::origin) != 0) {
        request.set(http::field::origin, fmt::format("http://{}:{}", host, upstream.port));
    }
    if (!upgrade) {
        for (auto it = request.begin(); it != request.end();) {
            it = hop_by_hop(it->name_string()) ? request.erase(it) : std::next(it);
        }
        request.keep_alive(false);
    }
    request.prepare_payload();
}

void prepare_hub_request(http::request<http::string_body>& request, std::string_view via, bool upgrade) {
    // Hubs of a cluster share their tokens: credentials and Host pass through (the owner checks
    // them, and a WebSocket's Origin against the Host the browser used). The mark stops a second hop.
    request.set(kForwardedHeader, via);
    if (!upgrade) {
        for (auto it = request.begin(); it != request.end();) {
            it = hop_by_hop(it->name_string()) ? request.erase(it) : std::next(it);
        }
        request.keep_alive(false);
    }
    request.prepare_payload();
}

void forward_http(const asio::any_io_executor& executor, Upstream upstream, http::request<http::string_body> request,
                  std::function<void(HttpResponse)> done) {
    std::make_shared<ForwardedRequest>(executor, std::move(upstream), std::move(request), std::move(done))->start();
}

void start_tunnel(beast::tcp_stream client, beast::flat_buffer pending, http::request<http::string_body> upgrade,
                  Upstream upstream, ServerContext& context, AddressLease lease) {
    std::make_shared<Tunnel>(std::move(client), context, std::move(lease))
        ->start(std::move(upstream), std::move(upgrade), std::move(pending));
}

} // namespace atelier::net::detail
