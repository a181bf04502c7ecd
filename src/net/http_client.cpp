// SPDX-License-Identifier: Apache-2.0
#include "net/http_client.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "net/beast.h"

namespace atelier::net {

void CancelSignal::cancel() {
    const std::lock_guard lock(m_mutex);
    if (m_cancelled) {
        return;
    }
    m_cancelled = true;
    for (auto& [id, handler] : m_handlers) {
        handler();
    }
}

bool CancelSignal::cancelled() const {
    const std::lock_guard lock(m_mutex);
    return m_cancelled;
}

CancelSignal::HandlerId CancelSignal::on_cancel(std::function<void()> handler) {
    const std::lock_guard lock(m_mutex);
    const auto id = m_next++;
    if (m_cancelled) {
        handler();
        return id;
    }
    m_handlers.emplace(id, std::move(handler));
    return id;
}

void CancelSignal::remove(HandlerId id) {
    const std::lock_guard lock(m_mutex);
    m_handlers.erase(id);
}

Result<Url> Url::parse(std::string_view text) {
    Url url;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("'{}' is not a URL (expected http://... or https://...)", text));
    }
    url.scheme = std::string(text.substr(0, scheme_end));
    std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (url.scheme != "http" && url.scheme != "https") {
        return fail(ErrorCode::InvalidArgument, fmt::format("'{}': only http:// and https:// are supported", text));
    }
    auto rest = text.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority = authority.substr(at + 1); // credentials in URLs are not supported; ignore them
    }
    url.port = url.is_https() ? 443 : 80;
    std::string_view host = authority;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail(ErrorCode::InvalidArgument, fmt::format("'{}': unterminated IPv6 address", text));
        }
        host = authority.substr(1, close - 1);
        authority = authority.substr(close + 1);
        if (!authority.empty() && authority.front() == ':') {
            authority = authority.substr(1);
        } else {
            authority = {};
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        authority = authority.substr(colon + 1);
    } else {
        authority = {};
    }
    if (!authority.empty()) {
        unsigned port = 0;
        const auto [ptr, ec] = std::from_chars(authority.data(), authority.data() + authority.size(), port);
        if (ec != std::errc() || ptr != authority.data() + authority.size() || port == 0 || port > 65535) {
            return fail(ErrorCode::InvalidArgument, fmt::format("'{}': bad port", text));
        }
        url.port = static_cast<std::uint16_t>(port);
    }
    if (host.empty()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("'{}': no host", text));
    }
    url.host = std::string(host);
    return url;
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
namespace ssl = boost::asio::ssl;

std::string env_value(const char* lower, const char* upper) {
    if (const char* value = std::getenv(lower); value != nullptr && *value != 0) {
        return value;
    }
    if (const char* value = std::getenv(upper); value != nullptr && *value != 0) {
        return value;
    }
    return {};
}

bool no_proxy_matches(const std::string& host, std::string_view list) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto entry = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        while (!entry.empty() && entry.front() == ' ') {
            entry.remove_prefix(1);
        }
        while (!entry.empty() && entry.back() == ' ') {
            entry.remove_suffix(1);
        }
        if (entry.empty()) {
            continue;
        }
        if (entry == "*") {
            return true;
        }
        if (entry.front() == '.') {
            entry.remove_prefix(1);
        }
        if (host == entry ||
            (host.size() > entry.size() && host.ends_with(entry) && host[host.size() - entry.size() - 1] == '.')) {
            return true;
        }
    }
    return false;
}

// Runs one asynchronous operation to completion on the calling thread. Everything happens on
// this thread except a cancellation, which posts a close of the socket into the same context.
template <class Start> beast::error_code run_one(asio::io_context& io, Start&& start) {
    beast::error_code result = asio::error::would_block;
    std::forward<Start>(start)([&result](beast::error_code error, auto&&...) { result = error; });
    io.restart();
    io.run();
    return result;
}

struct Exchange {
    const ClientRequest& request;
    const Url& url;
    const std::function<void(const ClientResponseHead&)>& on_head;
    const std::function<bool(std::string_view)>& on_body;
    CancelSignal* cancel;
};

Error io_error(const Exchange& exchange, std::string_view stage, const beast::error_code& error) {
    if (exchange.cancel != nullptr && exchange.cancel->cancelled()) {
        return Error{ErrorCode::Cancelled, "the request was cancelled"};
    }
    if (error == beast::error::timeout) {
        return Error{ErrorCode::Timeout,
                     fmt::format("{}:{}: timed out while {}", exchange.url.host, exchange.url.port, stage)};
    }
    return Error{ErrorCode::Unavailable,
                 fmt::format("{}:{}: {} failed: {}", exchange.url.host, exchange.url.port, stage, error.message())};
}

// Sends the request and streams the response on an established stream (plain or TLS).
// What one exchange left behind: whether a response head arrived (a failure before it on a reused
// connection means the server had closed it: try a fresh one) and whether the connection may
// serve another request.
struct ExchangeState {
    bool got_head = false;
    bool reusable = false;
};

template <class Stream>
Result<void> send_and_read(asio::io_context& io, Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
                           const Exchange& exchange, ExchangeState& state) {
    http::request<http::string_body> message{http::string_to_verb(exchange.request.method), exchange.url.target, 11};
    const bool default_port = exchange.url.port == (exchange.url.is_https() ? 443 : 80);
    message.set(http::field::host,
                default_port ? exchange.url.host : fmt::format("{}:{}", exchange.url.host, exchange.url.port));
    message.set(http::field::user_agent, "atelier/" ATELIER_VERSION);
    for (const auto& [name, value] : exchange.request.headers) {
        message.set(name, value);
    }
    message.body() = exchange.request.body;
    message.prepare_payload();

    lowest.expires_after(exchange.request.read_timeout);
    if (auto error = run_one(io, [&](auto handler) { http::async_write(stream, message, handler); })) {
        return fail(io_error(exchange, "sending the request", error));
    }

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    lowest.expires_after(exchange.request.read_timeout);
    if (auto error = run_one(io, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); })) {
        return fail(io_error(exchange, "reading the response head", error));
    }
    state.got_head = true;
    ClientResponseHead head;
    head.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        head.headers[name] = std::string(field.value());
    }
    exchange.on_head(head);

    std::array<char, 16 * 1024> chunk{};
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        lowest.expires_after(exchange.request.read_timeout);
        // read_some, not read: each piece reaches on_body as soon as it arrives (streaming).
        auto error = run_one(io, [&](auto handler) { http::async_read_some(stream, buffer, parser, handler); });
        if (error == http::error::need_buffer) {
            error = {};
        }
        const auto got = chunk.size() - parser.get().body().size;
        if (got > 0 && !exchange.on_body(std::string_view(chunk.data(), got))) {
            return {}; // stopped early: the rest of the body is unread, so the connection is not reused
        }
        if (error) {
            return fail(io_error(exchange, "reading the response body", error));
        }
    }
    state.reusable = parser.keep_alive();
    return {};
}

Result<void> connect_tcp(asio::io_context& io, beast::tcp_stream& stream, const Exchange& exchange,
                         const std::string& host, std::uint16_t port) {
    beast::error_code error;
    // A literal address needs no resolver (whose thread Asio would start and stop per request).
    if (const auto address = asio::ip::make_address(host, error); !error) {
        stream.expires_after(exchange.request.connect_timeout);
        error = run_one(io, [&](auto handler) { stream.async_connect(tcp::endpoint(address, port), handler); });
        if (error) {
            return fail(io_error(exchange, fmt::format("connecting to {}:{}", host, port), error));
        }
        stream.socket().set_option(tcp::no_delay(true));
        return {};
    }
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    error = run_one(io, [&](auto handler) {
        resolver.async_resolve(
            host, std::to_string(port),
            [&endpoints, handler](beast::error_code ec, tcp::resolver::results_type results) mutable {
                endpoints = std::move(results);
                handler(ec);
            });
    });
    if (error) {
        return fail(io_error(exchange, fmt::format("resolving {}", host), error));
    }
    stream.expires_after(exchange.request.connect_timeout);
    error = run_one(io, [&](auto handler) {
        stream.async_connect(endpoints, [handler](beast::error_code ec, const tcp::endpoint&) mutable { handler(ec); });
    });
    if (error) {
        return fail(io_error(exchange, fmt::format("connecting to {}:{}", host, port), error));
    }
    stream.socket().set_option(tcp::no_delay(true));
    return {};
}

// Asks an HTTP proxy for a tunnel to the target (RFC 9110 §9.3.6).
Result<void> open_tunnel(asio::io_context& io, beast::tcp_stream& stream, const Exchange& exchange) {
    http::request<http::empty_body> connect{http::verb::connect,
                                            fmt::format("{}:{}", exchange.url.host, exchange.url.port), 11};
    connect.set(http::field::host, fmt::format("{}:{}", exchange.url.host, exchange.url.port));
    stream.expires_after(exchange.request.connect_timeout);
    if (auto error = run_one(io, [&](auto handler) { http::async_write(stream, connect, handler); })) {
        return fail(io_error(exchange, "asking the proxy for a tunnel", error));
    }
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true); // a CONNECT response has no body
    if (auto error = run_one(io, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); })) {
        return fail(io_error(exchange, "reading the proxy's answer", error));
    }
    if (parser.get().result_int() / 100 != 2) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("the HTTPS proxy refused a tunnel to {}:{}: {} {}", exchange.url.host,
                                exchange.url.port, parser.get().result_int(), std::string(parser.get().reason())));
    }
    return {};
}

} // namespace

std::optional<Url> https_proxy_for(const std::string& host) {
    const auto proxy = env_value("https_proxy", "HTTPS_PROXY");
    if (proxy.empty() || no_proxy_matches(host, env_value("no_proxy", "NO_PROXY"))) {
        return std::nullopt;
    }
    auto parsed = Url::parse(proxy.find("://") == std::string::npos ? "http://" + proxy : proxy);
    return parsed ? std::optional<Url>(*parsed) : std::nullopt;
}

struct HttpClient::Connection {
    std::string key; ///< scheme://host:port
    asio::io_context io;
    beast::tcp_stream tcp{io};
    beast::flat_buffer buffer;
    std::unique_ptr<ssl::context> tls_context;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream&>> tls;
    std::chrono::steady_clock::time_point idle_since;
};

namespace {

constexpr auto kIdleLimit = std::chrono::seconds(30);

std::string connection_key(const Url& url) {
    return fmt::format("{}://{}:{}", url.scheme, url.host, url.port);
}

// Connects (through an HTTPS proxy tunnel when one applies) and, for https, shakes hands.
Result<void> open_connection(HttpClient::Connection& connection, const Exchange& exchange) {
    const auto& url = exchange.url;
    if (!url.is_https()) {
        return connect_tcp(connection.io, connection.tcp, exchange, url.host, url.port);
    }
    if (const auto proxy = https_proxy_for(url.host)) {
        ATELIER_TRY(connect_tcp(connection.io, connection.tcp, exchange, proxy->host, proxy->port));
        ATELIER_TRY(open_tunnel(connection.io, connection.tcp, exchange));
    } else {
        ATELIER_TRY(connect_tcp(connection.io, connection.tcp, exchange, url.host, url.port));
    }
    connection.tls_context = std::make_unique<ssl::context>(ssl::context::tls_client);
    beast::error_code error;
    connection.tls_context->set_default_verify_paths(error);
    if (error) {
        return fail(ErrorCode::Unavailable, "cannot load the system CA certificates: " + error.message());
    }
    connection.tls_context->set_verify_mode(ssl::verify_peer);
    connection.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream&>>(connection.tcp, *connection.tls_context);
    if (!SSL_set_tlsext_host_name(connection.tls->native_handle(), url.host.c_str())) {
        return fail(ErrorCode::Unavailable, fmt::format("{}: cannot set the TLS server name", url.host));
    }
    connection.tls->set_verify_callback(ssl::host_name_verification(url.host));
    connection.tcp.expires_after(exchange.request.connect_timeout);
    error = run_one(connection.io,
                    [&](auto handler) { connection.tls->async_handshake(ssl::stream_base::client, handler); });
    if (error) {
        return fail(io_error(exchange, "the TLS handshake", error));
    }
    return {};
}

// Runs `work` (connecting, or one request) on `connection`, interruptible by `cancel`: a cancel
// closes the socket from the canceller's thread, through the connection's own io_context.
template <class Work>
Result<void> cancellable(HttpClient::Connection& connection, const Exchange& exchange, Work&& work) {
    CancelSignal::HandlerId cancel_id = 0;
    if (exchange.cancel != nullptr) {
        cancel_id = exchange.cancel->on_cancel([&connection] {
            asio::post(connection.io, [&connection] {
                beast::error_code ignored;
                connection.tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
                connection.tcp.socket().close(ignored);
            });
        });
    }
    // The handler refers to the connection: it must be gone before the connection may be.
    struct Unregister {
        CancelSignal* signal;
        CancelSignal::HandlerId id;
        ~Unregister() {
            if (signal != nullptr) {
                signal->remove(id);
            }
        }
    } unregister{exchange.cancel, cancel_id};
    if (exchange.cancel != nullptr && exchange.cancel->cancelled()) {
        return fail(ErrorCode::Cancelled, "the request was cancelled");
    }
    return std::forward<Work>(work)();
}

Result<void> exchange_on(HttpClient::Connection& connection, const Exchange& exchange, ExchangeState& state) {
    return cancellable(connection, exchange, [&]() -> Result<void> {
        if (connection.tls) {
            return send_and_read(connection.io, *connection.tls, connection.tcp, connection.buffer, exchange, state);
        }
        return send_and_read(connection.io, connection.tcp, connection.tcp, connection.buffer, exchange, state);
    });
}

} // namespace

HttpClient::HttpClient() = default;
HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Connection> HttpClient::take_idle(const std::string& key) {
    const std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(m_idle, [now](const auto& entry) { return now - entry.second->idle_since > kIdleLimit; });
    const auto it = m_idle.find(key);
    if (it == m_idle.end()) {
        return nullptr;
    }
    auto connection = std::move(it->second);
    m_idle.erase(it);
    return connection;
}

void HttpClient::put_idle(std::unique_ptr<Connection> connection) {
    connection->idle_since = std::chrono::steady_clock::now();
    const std::lock_guard lock(m_mutex);
    m_idle.emplace(connection->key, std::move(connection));
}

Result<void> HttpClient::stream(const ClientRequest& request,
                                const std::function<void(const ClientResponseHead&)>& on_head,
                                const std::function<bool(std::string_view)>& on_body, CancelSignal* cancel) {
    const auto url = ATELIER_TRY(Url::parse(request.url));
    const Exchange exchange{request, url, on_head, on_body, cancel};
    if (cancel != nullptr && cancel->cancelled()) {
        return fail(ErrorCode::Cancelled, "the request was cancelled");
    }
    const auto key = connection_key(url);
    auto connection = take_idle(key);
    for (;;) {
        const bool reused = connection != nullptr;
        if (!reused) {
            connection = std::make_unique<Connection>();
            connection->key = key;
            ATELIER_TRY(cancellable(*connection, exchange, [&] { return open_connection(*connection, exchange); }));
        }
        ExchangeState state;
        auto outcome = exchange_on(*connection, exchange, state);
        if (outcome) {
            if (state.reusable) {
                put_idle(std::move(connection));
            }
            return outcome;
        }
        // A kept-alive connection the server has closed meanwhile fails before any answer:
        // the request did not reach it, so it goes again on a new connection.
        const bool cancelled = cancel != nullptr && cancel->cancelled();
        if (!reused || state.got_head || cancelled) {
            return outcome;
        }
        connection.reset();
    }
}

Result<void> http_stream(const ClientRequest& request, const std::function<void(const ClientResponseHead&)>& on_head,
                         const std::function<bool(std::string_view)>& on_body, CancelSignal* cancel) {
    HttpClient client;
    return client.stream(request, on_head, on_body, cancel);
}

} // namespace atelier::net
