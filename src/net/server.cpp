// SPDX-License-Identifier: Apache-2.0
#include "net/server.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "net/beast.h"
#include "net/connection_limits.h"
#include "net/server_context.h"

namespace atelier::net {

namespace detail {

void ConnectionRegistry::add(std::uint64_t id, std::weak_ptr<Closable> connection) {
    const std::lock_guard lock(m_mutex);
    m_connections.emplace(id, std::move(connection));
}

void ConnectionRegistry::remove(std::uint64_t id) {
    const std::lock_guard lock(m_mutex);
    m_connections.erase(id);
}

std::size_t ConnectionRegistry::size() const {
    const std::lock_guard lock(m_mutex);
    return m_connections.size();
}

void ConnectionRegistry::shutdown_all() {
    std::vector<std::shared_ptr<Closable>> alive;
    {
        const std::lock_guard lock(m_mutex);
        for (const auto& [id, weak] : m_connections) {
            if (auto connection = weak.lock()) {
                alive.push_back(std::move(connection));
            }
        }
    }
    for (const auto& connection : alive) {
        connection->shutdown();
    }
}

WebSocketMetrics WebSocketMetrics::for_path(MetricsRegistry& metrics, const std::string& path) {
    const std::string messages_help = "WebSocket messages by path and direction";
    const std::string bytes_help = "WebSocket payload bytes by path and direction";
    return WebSocketMetrics{
        metrics.counter("atelier_ws_messages_total", messages_help, {{"path", path}, {"direction", "in"}}),
        metrics.counter("atelier_ws_messages_total", messages_help, {{"path", path}, {"direction", "out"}}),
        metrics.counter("atelier_ws_bytes_total", bytes_help, {{"path", path}, {"direction", "in"}}),
        metrics.counter("atelier_ws_bytes_total", bytes_help, {{"path", path}, {"direction", "out"}}),
    };
}

} // namespace detail

using namespace detail;

namespace {

using local_stream = asio::local::stream_protocol;

/// Prepares `path` for a new socket: a socket file nobody accepts on any more is removed; a live
/// one, or anything that is not a socket, is left alone and reported.
Result<void> clear_stale_socket(const std::string& path, asio::io_context& io) {
    std::error_code status_error;
    const auto status = std::filesystem::symlink_status(path, status_error);
    if (!std::filesystem::exists(status)) {
        return {};
    }
    if (status.type() != std::filesystem::file_type::socket) {
        return fail(ErrorCode::InvalidConfig, "engine socket: " + path + " exists and is not a socket");
    }
    local_stream::socket probe(io);
    beast::error_code error;
    probe.connect(local_stream::endpoint(path), error);
    if (!error) {
        return fail(ErrorCode::Unavailable, "engine socket: another server is listening on " + path);
    }
    std::filesystem::remove(path, status_error);
    return {};
}

} // namespace

struct Server::Impl {
    Impl(ServerOptions options, Router router, Authenticator authenticate, MetricsRegistry& metrics)
        : io(static_cast<int>(options.threads)), acceptor(asio::make_strand(io)), signals(io, SIGINT, SIGTERM),
          drain_timer(io), accept_pause(acceptor.get_executor()),
          context(std::move(options), std::move(router), std::move(authenticate), metrics),
          connection_cap(detail::connection_cap(context.options.max_connections, raise_open_file_limit())),
          per_address(context.options.max_connections_per_address),
          connections_refused(metrics.counter("atelier_connections_refused_total",
                                              "Connections answered 503 because the hub was at its connection cap")),
          address_refused(metrics.counter("atelier_connections_refused_per_address_total",
                                          "Connections answered 503 because their client address was at its cap")) {}

    void accept() {
        acceptor.async_accept(asio::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
            if (error) {
                if (error == asio::error::operation_aborted || !acceptor.is_open()) {
                    return;
                }
                if (accept_out_of_resources(error)) {
                    return pause_accepting(error);
                }
                spdlog::warn("accept failed: {}", error.message());
            } else if (at_connection_cap()) {
                refuse(std::move(socket));
            } else if (auto lease = lease_for(socket)) {
                // Small request/response messages: never let Nagle hold a reply back.
                beast::error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                start_http_connection(std::move(socket), context, std::move(*lease));
            } else {
                refuse_address(std::move(socket));
            }
            accept();
        });
    }

    /// Open client connections (HTTP, and WebSockets after their upgrade) against the cap.
    [[nodiscard]] bool at_connection_cap() const {
        const auto open = context.http_connections.value() + context.websocket_connections.value();
        return open >= 0 && static_cast<std::size_t>(open) >= connection_cap;
    }

    /// A slot in the count of the client's address; nullopt when that address is at its cap. A
    /// connection whose peer cannot be read (already reset) is not counted.
    std::optional<AddressLease> lease_for(const tcp::socket& socket) {
        beast::error_code error;
        const auto peer = socket.remote_endpoint(error);
        return error ? std::optional<AddressLease>(AddressLease{}) : per_address.acquire(peer.address());
    }

    void refuse_address(tcp::socket socket) {
        address_refused.increment();
        beast::error_code error;
        const auto peer = socket.remote_endpoint(error);
        if (const auto refused = ++address_refused_since_start; refused == 1 || refused % 1000 == 0) {
            spdlog::warn("{} connection(s) refused so far: their address already held its cap of {} (latest from {})",
                         refused, per_address.cap(), error ? "?" : peer.address().to_string());
        }
        refuse_connection_from_address(std::move(socket), per_address.cap());
    }

    void refuse(tcp::socket socket) {
        connections_refused.increment();
        if (const auto refused = ++refused_since_start; refused == 1 || refused % 1000 == 0) {
            spdlog::warn("{} connection(s) refused so far: the hub is at its cap of {} open connections", refused,
                         connection_cap);
        }
        refuse_connection(std::move(socket), connection_cap);
    }

    /// Out of descriptors: the pending connections wait in the backlog while some close, instead
    /// of the acceptor failing in a busy loop.
    void pause_accepting(const beast::error_code& error) {
        spdlog::warn("accept failed: {}; pausing new connections for 100 ms", error.message());
        accept_pause.expires_after(std::chrono::milliseconds(100));
        accept_pause.async_wait([this](beast::error_code timer_error) {
            if (!timer_error && acceptor.is_open()) {
                accept();
            }
        });
    }

    void accept_local() {
        local_acceptor->async_accept(
            asio::make_strand(io), [this](beast::error_code error, local_stream::socket socket) {
                if (error) {
                    if (error == asio::error::operation_aborted || !local_acceptor->is_open()) {
                        return;
                    }
                    spdlog::warn("accept on {} failed: {}", context.options.unix_socket_path, error.message());
                } else {
                    // The connection code is written against tcp::socket (beast::tcp_stream). Reads,
                    // writes, shutdown and close are the same system calls on a Unix stream socket,
                    // so the descriptor is handed over as a tcp::socket; only TCP options and the
                    // peer address (logged as "?") do not apply to it.
                    const auto executor = socket.get_executor();
                    const auto descriptor = socket.release(error);
                    tcp::socket adopted(executor);
                    if (!error) {
                        adopted.assign(tcp::v4(), descriptor, error);
                    }
                    if (error) {
                        spdlog::warn("cannot adopt a connection on {}: {}", context.options.unix_socket_path,
                                     error.message());
                    } else {
                        start_http_connection(std::move(adopted), context);
                    }
                }
                accept_local();
            });
    }

    Result<void> listen_local() {
        const auto& path = context.options.unix_socket_path;
        if (path.size() >= sizeof(sockaddr_un::sun_path)) {
            return fail(ErrorCode::InvalidConfig, "engine socket: the path " + path + " is longer than " +
                                                      std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                                      " bytes, the limit for a Unix socket");
        }
        ATELIER_TRY(clear_stale_socket(path, io));
        beast::error_code error;
        local_acceptor.emplace(asio::make_strand(io));
        const local_stream::endpoint endpoint(path);
        if (local_acceptor->open(endpoint.protocol(), error); !error) {
            local_acceptor->bind(endpoint, error);
        }
        if (!error) {
            // Before listen(): until then a connect is refused, so nobody slips in under the umask.
            std::error_code chmod_error;
            std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                         std::filesystem::perm_options::replace, chmod_error);
            error = chmod_error ? beast::error_code(chmod_error.value(), beast::system_category()) : error;
        }
        if (!error) {
            local_acceptor->listen(asio::socket_base::max_listen_connections, error);
        }
        if (error) {
            return fail(ErrorCode::Unavailable, "cannot listen on " + path + ": " + error.message());
        }
        return {};
    }

    void drain_until(std::chrono::steady_clock::time_point deadline) {
        if (context.connections.size() == 0 || std::chrono::steady_clock::now() >= deadline) {
            if (const auto left = context.connections.size(); left > 0) {
                spdlog::warn("shutdown: {} connection(s) still open after the drain time; closing them", left);
            }
            io.stop();
            return;
        }
        drain_timer.expires_after(std::chrono::milliseconds(20));
        drain_timer.async_wait([this, deadline](beast::error_code) { drain_until(deadline); });
    }

    asio::io_context io;
    tcp::acceptor acceptor;
    std::optional<local_stream::acceptor> local_acceptor;
    asio::signal_set signals;
    asio::steady_timer drain_timer;
    asio::steady_timer accept_pause;
    ServerContext context;
    std::size_t connection_cap;
    AddressCounts per_address;
    Counter& connections_refused;
    Counter& address_refused;
    std::atomic<std::uint64_t> refused_since_start{0};
    std::atomic<std::uint64_t> address_refused_since_start{0};
    std::function<void()> on_signal;
    std::atomic<bool> stop_requested{false};
};

Server::Server(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Server::~Server() {
    if (m_impl->local_acceptor) {
        beast::error_code ignored;
        m_impl->local_acceptor->close(ignored);
        std::error_code also_ignored;
        std::filesystem::remove(m_impl->context.options.unix_socket_path, also_ignored);
    }
}

Result<std::unique_ptr<Server>> Server::create(ServerOptions options, Router router, Authenticator authenticate,
                                               MetricsRegistry& metrics) {
    auto impl = std::make_unique<Impl>(std::move(options), std::move(router), std::move(authenticate), metrics);
    beast::error_code error;
    const auto address = asio::ip::make_address(impl->context.options.host, error);
    if (error) {
        return fail(ErrorCode::InvalidConfig, "host: '" + impl->context.options.host + "' is not an IP address");
    }
    const tcp::endpoint endpoint(address, impl->context.options.port);
    auto& acceptor = impl->acceptor;
    if (acceptor.open(endpoint.protocol(), error); !error) {
        acceptor.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
        acceptor.bind(endpoint, error);
    }
    if (!error) {
        acceptor.listen(asio::socket_base::max_listen_connections, error);
    }
    if (error) {
        return fail(ErrorCode::Unavailable, "cannot listen on " + impl->context.options.host + ":" +
                                                std::to_string(impl->context.options.port) + ": " + error.message());
    }
    if (!impl->context.options.unix_socket_path.empty()) {
        ATELIER_TRY(impl->listen_local());
    }
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::uint16_t Server::port() const {
    beast::error_code error;
    return m_impl->acceptor.local_endpoint(error).port();
}

void Server::on_signal(std::function<void()> callback) {
    m_impl->on_signal = std::move(callback);
}

void Server::run(const std::function<void()>& on_ready) {
    auto& impl = *m_impl;
    impl.signals.async_wait([this](beast::error_code error, int signal) {
        if (error) {
            return;
        }
        spdlog::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
        if (m_impl->on_signal) {
            m_impl->on_signal();
        } else {
            stop(m_impl->context.options.close_timeout);
        }
    });
    impl.accept();
    if (impl.local_acceptor) {
        impl.accept_local();
    }
    if (on_ready) {
        on_ready();
    }
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < impl.context.options.threads; ++i) {
        threads.emplace_back([&impl] { impl.io.run(); });
    }
    impl.io.run();
    for (auto& thread : threads) {
        thread.join();
    }
}

void Server::stop(std::chrono::milliseconds drain) {
    if (m_impl->stop_requested.exchange(true)) {
        return;
    }
    asio::post(m_impl->acceptor.get_executor(), [this, drain] {
        auto& impl = *m_impl;
        impl.context.stopping = true;
        beast::error_code ignored;
        impl.acceptor.close(ignored);
        impl.accept_pause.cancel();
        if (impl.local_acceptor) {
            asio::post(impl.local_acceptor->get_executor(), [&impl] {
                beast::error_code also_ignored;
                impl.local_acceptor->close(also_ignored);
            });
        }
        impl.signals.cancel(ignored);
        impl.context.connections.shutdown_all();
        asio::post(impl.io, [&impl, drain] { impl.drain_until(std::chrono::steady_clock::now() + drain); });
    });
}

void Server::post(std::function<void()> work) {
    asio::post(m_impl->io, std::move(work));
}

} // namespace atelier::net
