// SPDX-License-Identifier: Apache-2.0
#include "local_server.h"

#include <future>
#include <stdexcept>

namespace atelier::testing {

LocalServer::LocalServer(net::Router router, net::Authenticator authenticate) {
    net::ServerOptions options;
    options.port = 0;
    auto server = net::Server::create(options, std::move(router), std::move(authenticate), m_metrics);
    if (!server) {
        throw std::runtime_error("local server: " + server.error().message);
    }
    m_server = std::move(*server);
    std::promise<void> ready;
    m_thread = std::thread([this, &ready] { m_server->run([&ready] { ready.set_value(); }); });
    ready.get_future().wait();
    m_port = m_server->port();
}

LocalServer::~LocalServer() {
    stop();
}

void LocalServer::stop() {
    if (m_server) {
        m_server->stop(std::chrono::seconds(1));
        m_thread.join();
        m_server.reset();
    }
}

std::optional<std::string> nobody(const net::HttpRequest& /*request*/) {
    return std::nullopt;
}

} // namespace atelier::testing
