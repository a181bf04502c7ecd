// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/beast.h"
#include "net/request_conversion.h"
#include "net/server_context.h"

namespace atelier::net::detail {
namespace {

// Origin, when a browser sends it, must name the host the request was sent to: this keeps other
// web pages from driving the hub through a user's browser (cross-site WebSocket hijacking).
bool origin_allowed(const HttpRequest& request) {
    const std::string_view origin = request.header("Origin");
    if (origin.empty()) {
        return true;
    }
    const std::string_view host = request.header("Host");
    return origin == fmt::format("http://{}", host) || origin == fmt::format("https://{}", host);
}

class HttpConnection final : public std::enable_shared_from_this<HttpConnection>, public ResponseSink, public Closable {
public:
    HttpConnection(tcp::socket socket, ServerContext& context, AddressLease lease)
        : m_stream(std::move(socket)), m_context(context), m_lease(std::move(lease)), m_id(context.next_id()) {
        beast::error_code error;
        const auto endpoint = m_stream.socket().remote_endpoint(error);
        m_remote = error ? "?" : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
    }

    void start() {
        m_context.connections.add(m_id, weak_from_this());
        m_context.http_connections.add(1);
        spdlog::debug("http connection {} opened from {}", m_id, m_remote);
        asio::dispatch(m_stream.get_executor(), [self = shared_from_this()] { self->read(); });
    }

    ~HttpConnection() override {
        drop_body();
        if (!m_handed_over) {
            m_context.connections.remove(m_id);
        }
        m_context.http_connections.add(-1);
    }

    void shutdown() override {
        asio::post(m_stream.get_executor(), [self = shared_from_this()] {
            self->m_shutting_down = true;
            // An idle keep-alive connection is closed now; one in the middle of a request
            // finishes it (the response says Connection: close).
            if (!self->m_busy) {
                beast::error_code ignored;
                self->m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                self->m_stream.close();
            }
        });
    }

    void respond(HttpResponse response) override {
        asio::post(m_stream.get_executor(), [self = shared_from_this(), response = std::move(response)]() mutable {
            self->write(std::move(response));
        });
    }

    std::shared_ptr<SseStream> start_sse(Headers extra_headers) override;

private:
    void read() {
        if (m_shutting_down) {
            return close();
        }
        m_busy = false;
        m_request = {}; // the previous request's body file (if any) goes now
        m_upload.reset();
        m_parser.emplace();
        // The head first, without a body limit: the route decides how much body it takes (a streamed
        // upload far more than the in-memory limit).
        m_parser->body_limit(boost::none);
        m_parser->header_limit(static_cast<std::uint32_t>(m_context.options.max_header_bytes));
        m_stream.expires_after(m_context.options.http_idle_timeout);
        http::async_read_header(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_header(error); });
    }

    void on_header(beast::error_code error) {
        if (error) {
            return on_read(error);
        }
        const auto& head = m_parser->get();
        std::string path;
        std::map<std::string, std::string> query;
        if (!websocket::is_upgrade(head) && parse_target(head.target(), path, query) &&
            m_context.router.match_proxy(path) == nullptr) {
            if (auto match = m_context.router.match(head.method_string(), path); match && match->route->streamed) {
                return start_streamed(*match->route);
            }
        }
        const std::uint64_t limit = m_context.options.max_body_bytes;
        if (const auto length = m_parser->content_length(); length && *length > limit) {
            return on_read(http::error::body_limit);
        }
        m_parser->body_limit(limit);
        if (m_parser->is_done()) {
            return on_read({});
        }
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code read_error, std::size_t) { self->on_read(read_error); });
    }

    // A streamed route (an upload): authenticated on its head, then the body goes chunk by chunk
    // into a file, so memory stays flat whatever the size; the handler gets the file.
    void start_streamed(const Route& route) {
        m_busy = true;
        m_started = std::chrono::steady_clock::now();
        m_route = route.pattern;
        const auto& head = m_parser->get();
        m_keep_alive = head.keep_alive() && !m_shutting_down;
        m_head_only = false;
        m_request = to_request(head.base(), m_remote);
        if (!parse_target(m_request.target, m_request.path, m_request.query)) {
            return reject(ErrorCode::InvalidArgument, "malformed request target");
        }
        if (!authorized(route.access)) {
            m_keep_alive = false; // the body is not read
            return write(unauthorized());
        }
        const std::uint64_t limit = route.streamed->limit;
        if (const auto length = m_parser->content_length(); length && *length > limit) {
            return reject(ErrorCode::PayloadTooLarge, too_large(limit));
        }
        std::error_code directory_error;
        std::filesystem::create_directories(route.streamed->directory, directory_error);
        m_body_path = route.streamed->directory / fmt::format("upload-{}-{}.part", m_id, ++m_uploads);
        m_body_fd = ::open(m_body_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (m_body_fd < 0) {
            const int error_number = errno;
            m_body_path.clear();
            return reject(ErrorCode::Unavailable, upload_write_failure(error_number));
        }
        m_body_size = 0;
        m_body_limit = limit;
        m_upload.emplace(std::move(*m_parser));
        m_upload->body_limit(limit);
        if (m_chunk.empty()) {
            m_chunk.resize(256 * 1024);
        }
        if (beast::iequals(m_request.header("Expect"), "100-continue")) {
            static const std::string k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
            m_stream.expires_after(m_context.options.http_idle_timeout);
            return asio::async_write(m_stream, asio::buffer(k_continue),
                                     [self = shared_from_this()](beast::error_code write_error, std::size_t) {
                                         if (write_error) {
                                             self->drop_body();
                                             return self->close();
                                         }
                                         self->read_chunk();
                                     });
        }
        read_chunk();
    }

    /// Why an upload's body could not be stored: a full disk is said as such (the partial file is
    /// gone, and nothing was committed).
    static std::string upload_write_failure(int error_number) {
        if (error_number == ENOSPC || error_number == EDQUOT) {
            return fmt::format("the data disk is full: the upload was not stored and nothing was saved; retry once "
                               "space is freed ({})",
                               std::strerror(error_number));
        }
        return fmt::format("cannot store the upload: {}", std::strerror(error_number));
    }

    static std::string too_large(std::uint64_t limit) {
        return fmt::format("upload larger than the limit of {} bytes (limits.upload_bytes)", limit);
    }

    void read_chunk() {
        auto& body = m_upload->get().body();
        body.data = m_chunk.data();
        body.size = m_chunk.size();
        m_stream.expires_after(m_context.options.http_idle_timeout); // per chunk: a long upload is fine
        http::async_read(m_stream, m_buffer, *m_upload,
                         [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_chunk(error); });
    }

    void on_chunk(beast::error_code error) {
        if (error == http::error::need_buffer) {
            error = {};
        }
        const std::size_t got = m_chunk.size() - m_upload->get().body().size;
        if (got > 0 && !error) {
            if (!write_all(m_chunk.data(), got)) {
                const int error_number = errno;
                drop_body();
                return reject(ErrorCode::Unavailable, upload_write_failure(error_number));
            }
            m_body_size += got;
        }
        if (error == http::error::body_limit) {
            drop_body();
            return reject(ErrorCode::PayloadTooLarge, too_large(m_body_limit));
        }
        if (error) {
            drop_body();
            spdlog::debug("http connection {}: upload ended early: {}", m_id, error.message());
            return close();
        }
        if (!m_upload->is_done()) {
            return read_chunk();
        }
        ::close(std::exchange(m_body_fd, -1));
        // From here the request owns the file (and removes it when done with it).
        m_request.body_file = std::make_shared<BodyFile>(std::exchange(m_body_path, {}), m_body_size);
        dispatch_route();
    }

    bool write_all(const char* data, std::size_t size) {
        while (size > 0) {
            const ssize_t written = ::write(m_body_fd, data, size);
            if (written < 0 && errno == EINTR) {
                continue;
            }
            if (written <= 0) {
                return false;
            }
            data += written;
            size -= static_cast<std::size_t>(written);
        }
        return true;
    }

    // An upload that will not reach a handler: its partial file goes.
    void drop_body() {
        if (m_body_fd >= 0) {
            ::close(std::exchange(m_body_fd, -1));
        }
        if (!m_body_path.empty()) {
            std::error_code ignored;
            std::filesystem::remove(std::exchange(m_body_path, {}), ignored);
        }
    }

    void on_read(beast::error_code error) {
        m_busy = true;
        m_started = std::chrono::steady_clock::now();
        if (error == http::error::body_limit) {
            return reject(ErrorCode::PayloadTooLarge,
                          fmt::format("request body larger than {} bytes", m_context.options.max_body_bytes));
        }
        if (error == http::error::header_limit) {
            return reject(ErrorCode::HeadersTooLarge,
                          fmt::format("request head larger than {} bytes", m_context.options.max_header_bytes));
        }
        if (error == http::error::end_of_stream || error == beast::error::timeout ||
            error == asio::error::operation_aborted || error == asio::error::connection_reset ||
            error == asio::error::eof || error == asio::error::bad_descriptor) {
            return close();
        }
        if (error) {
            spdlog::debug("http connection {}: bad request: {}", m_id, error.message());
            return reject(ErrorCode::ProtocolError, "malformed HTTP request: " + error.message());
        }

        auto& message = m_parser->get();
        m_keep_alive = message.keep_alive() && !m_shutting_down;
        m_head_only = message.method() == http::verb::head;
        m_request = to_request(message, m_remote);
        if (!parse_target(m_request.target, m_request.path, m_request.query)) {
            return reject(ErrorCode::InvalidArgument, "malformed request target");
        }
        const bool is_upgrade = websocket::is_upgrade(message);
        if (const auto& forwarder = m_context.router.forwarder();
            forwarder && m_request.header(kForwardedHeader).empty()) {
            // The resolver may look the project's owner up on another thread: this connection
            // reads nothing more until it decides.
            if (auto subject = m_context.authenticate(m_request)) {
                m_request.subject = std::move(*subject);
            }
            return forwarder(m_request, [self = shared_from_this(), is_upgrade](std::optional<Upstream> upstream) {
                asio::dispatch(self->m_stream.get_executor(),
                               [self, is_upgrade, upstream = std::move(upstream)]() mutable {
                                   if (upstream) {
                                       return self->forward_to_hub(std::move(*upstream), is_upgrade);
                                   }
                                   self->serve_here(is_upgrade);
                               });
            });
        }
        serve_here(is_upgrade);
    }

    void serve_here(bool is_upgrade) {
        m_request.subject.clear(); // set by the route's own access check, as without a cluster
        if (const auto* proxy = m_context.router.match_proxy(m_request.path)) {
            return forward(*proxy, is_upgrade);
        }
        if (is_upgrade) {
            return upgrade();
        }
        dispatch_route();
    }

    void dispatch_route() {
        auto match = m_context.router.match(m_request.method, m_request.path);
        if (!match) {
            m_route = match.error().code == ErrorCode::NotFound ? "(unmatched)" : m_request.path;
            auto response = HttpResponse::error(match.error());
            if (match.error().code == ErrorCode::MethodNotAllowed) {
                response.headers.set("Allow", match.error().message.substr(std::string_view("allowed: ").size()));
            }
            return write(std::move(response));
        }
        m_route = match->route->pattern;
        m_request.route = m_route;
        m_request.params = std::move(match->params);
        if (!authorized(match->route->access)) {
            return write(unauthorized());
        }
        try {
            match->route->handler(m_request, HttpResponder(shared_from_this()));
        } catch (const std::exception& exception) {
            spdlog::error("handler for {} {} threw: {}", m_request.method, m_route, exception.what());
            // The responder was moved into the handler and has answered 500 on its way out.
        }
    }

    // Sets the request's subject when the route needs one; false when nobody is authenticated.
    bool authorized(Access access) {
        if (access == Access::Public) {
            return true;
        }
        auto subject = m_context.authenticate(m_request);
        if (!subject) {
            return false;
        }
        m_request.subject = std::move(*subject);
        return true;
    }

    static HttpResponse unauthorized() {
        auto response = HttpResponse::error(ErrorCode::Unauthorized,
                                            "a token is required: send 'Authorization: Bearer <token>' or open "
                                            "/?token=<token> once in the browser");
        response.headers.set("WWW-Authenticate", "Bearer realm=\"atelier\"");
        return response;
    }

    void upgrade() {
        m_route = m_request.path;
        const auto* route = m_context.router.match_websocket(m_request.path);
        if (route == nullptr) {
            m_keep_alive = false;
            return write(HttpResponse::error(ErrorCode::NotFound, "no WebSocket endpoint at " + m_request.path));
        }
        if (!origin_allowed(m_request)) {
            m_keep_alive = false;
            return write(HttpResponse::error(ErrorCode::Forbidden, "cross-origin WebSocket refused"));
        }
        if (!authorized(route->access)) {
            m_keep_alive = false;
            return write(unauthorized());
        }
        if (m_context.stopping) {
            m_keep_alive = false;
            return write(HttpResponse::error(ErrorCode::Unavailable, "the server is shutting down"));
        }
        hand_over();
        start_websocket(std::move(m_stream), m_parser->release(), std::move(m_request), route->handler, m_context,
                        std::move(m_lease));
    }

    // A request for a proxied prefix: checked like any route, then sent on to the upstream.
    void forward(const ProxyRoute& route, bool is_upgrade) {
        m_route = route.prefix;
        m_request.route = m_route;
        if (is_upgrade) {
            m_keep_alive = false;
        }
        if (!origin_allowed(m_request)) {
            m_keep_alive = false;
            return write(HttpResponse::error(ErrorCode::Forbidden, "cross-origin request refused"));
        }
        if (!authorized(route.access)) {
            return write(unauthorized());
        }
        auto target = route.resolve(m_request);
        if (!target) {
            return write(HttpResponse::error(target.error()));
        }
        auto upstream = m_parser->release();
        prepare_upstream_request(upstream, *target, is_upgrade);
        if (is_upgrade) {
            hand_over();
            return start_tunnel(std::move(m_stream), std::move(m_buffer), std::move(upstream), std::move(*target),
                                m_context, std::move(m_lease));
        }
        forward_http(m_stream.get_executor(), std::move(*target), std::move(upstream),
                     [self = shared_from_this()](HttpResponse response) { self->respond(std::move(response)); });
    }

    // A request for a project another hub of the cluster owns: sent there whole (router.h `forward`).
    void forward_to_hub(Upstream upstream, bool is_upgrade) {
        m_route = "(forwarded)";
        const bool spliced = is_upgrade || upstream.relay == Upstream::Relay::Spliced;
        if (spliced) {
            m_keep_alive = false;
        }
        if (is_upgrade && !origin_allowed(m_request)) {
            return write(HttpResponse::error(ErrorCode::Forbidden, "cross-origin WebSocket refused"));
        }
        if (!authorized(Access::Authenticated)) {
            return write(unauthorized());
        }
        auto request = m_parser->release();
        for (const auto& [name, value] : upstream.headers) {
            request.set(name, value);
        }
        prepare_hub_request(request, m_context.router.forwarded_by(), is_upgrade);
        if (spliced) {
            // An upgraded connection, or an answer that streams (the upstream closes it when done:
            // the forwarded request says Connection: close).
            hand_over();
            return start_tunnel(std::move(m_stream), std::move(m_buffer), std::move(request), std::move(upstream),
                                m_context, std::move(m_lease));
        }
        forward_http(m_stream.get_executor(), std::move(upstream), std::move(request),
                     [self = shared_from_this()](HttpResponse response) { self->respond(std::move(response)); });
    }

    // The socket now belongs to a WebSocket or SSE stream, which registers itself.
    void hand_over() {
        m_handed_over = true;
        m_context.connections.remove(m_id);
        m_stream.expires_never();
    }

    void reject(ErrorCode code, std::string message) {
        m_keep_alive = false;
        if (m_route.empty()) {
            m_route = "(rejected)";
        }
        write(HttpResponse::error(code, std::move(message)));
    }

    void write(HttpResponse response) {
        if (m_handed_over) {
            return;
        }
        // An upload's body file goes before its answer is sent (unless the handler still holds it):
        // a client that has read the answer never finds the file left behind.
        m_request.body_file.reset();
        if (!m_keep_alive || m_shutting_down) {
            m_keep_alive = false;
        }
        if (!response.file.empty()) {
            http::response<http::file_body> message;
            beast::error_code error;
            message.body().open(response.file.c_str(), beast::file_mode::scan, error);
            if (error) {
                return write(HttpResponse::error(ErrorCode::NotFound, "file vanished: " + response.file.string()));
            }
            return send(std::move(message), std::move(response));
        }
        http::response<http::string_body> message;
        message.body() = std::move(response.body);
        send(std::move(message), std::move(response));
    }

    template <class Body> void send(http::response<Body> message, HttpResponse response) {
        message.result(static_cast<unsigned>(response.status));
        message.version(11);
        message.set(http::field::server, "atelier/" ATELIER_VERSION);
        for (const auto& [name, value] : response.headers.fields()) {
            message.insert(name, value);
        }
        message.keep_alive(m_keep_alive);
        message.prepare_payload();
        const int status = response.status;
        if (m_head_only || status == 304) {
            // Same head as GET, no body: serialize the head only.
            auto head = std::make_shared<http::response<http::empty_body>>(message.base());
            return write_message(std::move(head), status);
        }
        write_message(std::make_shared<http::response<Body>>(std::move(message)), status);
    }

    template <class Message> void write_message(std::shared_ptr<Message> message, int status) {
        record(status);
        m_stream.expires_after(m_context.options.http_idle_timeout);
        auto& reference = *message;
        http::async_write(m_stream, reference,
                          [self = shared_from_this(), message = std::move(message)](
                              beast::error_code error, std::size_t) { self->on_write(error); });
    }

    // Counted when the response is handed to the socket, so a client that has read it sees it in /metrics.
    void record(int status) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
        const std::string route = m_route.empty() ? "(unmatched)" : m_route;
        m_context.metrics
            .counter("atelier_http_requests_total", "HTTP requests by route, method and status",
                     {{"route", route}, {"method", m_request.method}, {"status", std::to_string(status)}})
            .increment();
        m_context.metrics
            .histogram("atelier_http_request_duration_seconds", "HTTP request latency by route", {{"route", route}})
            .observe(seconds);
        spdlog::debug("{} {} {} {:.2f}ms (connection {})", m_request.method, m_request.target, status, seconds * 1e3,
                      m_id);
        m_route.clear();
    }

    void on_write(beast::error_code error) {
        if (error || !m_keep_alive) {
            return linger_close();
        }
        read();
    }

    // Half-close, then read and discard what the client still sends for a moment, so a client
    // that is still uploading (a 413) receives our response instead of a connection reset.
    void linger_close() {
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_stream.expires_after(std::chrono::seconds(2));
        discard();
    }

    void discard() {
        m_stream.async_read_some(asio::buffer(m_discard),
                                 [self = shared_from_this()](beast::error_code error, std::size_t) {
                                     if (error) {
                                         return self->close();
                                     }
                                     self->discard();
                                 });
    }

    void close() {
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        m_stream.close();
    }

    beast::tcp_stream m_stream;
    ServerContext& m_context;
    AddressLease m_lease; // handed on with the stream (upgrade, SSE, tunnel)
    std::uint64_t m_id;
    std::string m_remote;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::optional<http::request_parser<http::buffer_body>> m_upload; ///< a streamed route's body
    std::vector<char> m_chunk;                                       ///< its read buffer (uploads only)
    std::filesystem::path m_body_path;
    int m_body_fd = -1;
    std::uint64_t m_body_size = 0;
    std::uint64_t m_body_limit = 0;
    std::uint64_t m_uploads = 0;
    HttpRequest m_request;
    std::string m_route;
    std::chrono::steady_clock::time_point m_started;
    std::array<char, 16 * 1024> m_discard{};
    bool m_keep_alive = true;
    bool m_head_only = false;
    bool m_busy = false;
    bool m_shutting_down = false;
    bool m_handed_over = false;
};

std::shared_ptr<SseStream> HttpConnection::start_sse(Headers extra_headers) {
    // Called by a handler during dispatch, on this connection's strand.
    hand_over();
    m_context.metrics
        .counter("atelier_http_requests_total", "HTTP requests by route, method and status",
                 {{"route", m_route}, {"method", m_request.method}, {"status", "200"}})
        .increment();
    return detail::start_sse(std::move(m_stream), std::move(extra_headers), m_context, std::move(m_lease));
}

} // namespace

void start_http_connection(tcp::socket socket, ServerContext& context, AddressLease lease) {
    std::make_shared<HttpConnection>(std::move(socket), context, std::move(lease))->start();
}

} // namespace atelier::net::detail
