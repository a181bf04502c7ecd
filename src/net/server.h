// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/metrics.h"
#include "core/result.h"
#include "net/router.h"

namespace atelier::net {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8420;
    unsigned threads = 1;
    std::size_t max_body_bytes = 1 << 20;
    std::size_t max_header_bytes = 16 << 10;
    std::size_t ws_max_text_bytes = 1 << 20;
    std::size_t ws_max_binary_bytes = 8 << 20;
    std::size_t ws_send_queue_bytes = 4 << 20;
    /// Open client connections at most; more are answered 503 and closed. 0: the open-file limit
    /// (raised to the system's hard limit at start) minus a reserve for everything else.
    std::size_t max_connections = 0;
    /// Open connections one client address may hold (IPv6: one /64); more are answered 503 and
    /// closed. 0: 512 for every address but loopback ones (a reverse proxy on the same machine).
    std::size_t max_connections_per_address = 0;
    std::chrono::milliseconds http_idle_timeout{30'000};
    std::chrono::milliseconds ws_idle_timeout{60'000};
    std::chrono::milliseconds sse_heartbeat{15'000};
    /// How long a closing connection may take to flush before its socket is torn down.
    std::chrono::milliseconds close_timeout{5'000};
    /// When set, the same routes are also served on a Unix domain socket at this path (mode 0600),
    /// for engines in a sandbox without network. A stale socket file is replaced; one that a live
    /// server still accepts on is an error.
    std::string unix_socket_path;
};

/// Decides who a request comes from: the subject (user id) or nothing. Called for routes whose
/// access is Authenticated, on the connection's thread; must be cheap and thread-safe.
using Authenticator = std::function<std::optional<std::string>(const HttpRequest&)>;

/// The hub's one port: HTTP, WebSocket upgrades and SSE over Boost.Beast, served by a pool of
/// threads. Create it, then run() blocks until stop() has drained.
class Server {
public:
    [[nodiscard]] static Result<std::unique_ptr<Server>> create(ServerOptions options, Router router,
                                                                Authenticator authenticate, MetricsRegistry& metrics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The bound port (the chosen one when the options said 0).
    [[nodiscard]] std::uint16_t port() const;

    /// Serves until stop() completes. `on_ready` runs once the port accepts connections.
    /// SIGINT and SIGTERM call `on_signal` (if set) and then stop().
    void run(const std::function<void()>& on_ready);

    void on_signal(std::function<void()> callback);

    /// Stops accepting, asks every connection to close (WebSockets with 1001), waits up to
    /// `drain` for them to finish, then ends run(). Thread-safe, idempotent.
    void stop(std::chrono::milliseconds drain);

    /// Runs `work` on one of the server's threads.
    void post(std::function<void()> work);

private:
    struct Impl;
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace atelier::net
