// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <thread>

#include "core/metrics.h"
#include "net/server.h"

namespace atelier::testing {

/// An in-process net::Server on a free loopback port with the given routes, running on its own
/// thread until stop() or destruction: an upstream for proxy tests, a peer for engine tests.
class LocalServer {
public:
    LocalServer(net::Router router, net::Authenticator authenticate);
    ~LocalServer();
    LocalServer(const LocalServer&) = delete;
    LocalServer& operator=(const LocalServer&) = delete;

    void stop();
    [[nodiscard]] std::uint16_t port() const { return m_port; }

private:
    MetricsRegistry m_metrics;
    std::unique_ptr<net::Server> m_server;
    std::thread m_thread;
    std::uint16_t m_port = 0;
};

/// An authenticator that accepts nobody (for servers with public routes only).
[[nodiscard]] std::optional<std::string> nobody(const net::HttpRequest& request);

} // namespace atelier::testing
