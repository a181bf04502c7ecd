// SPDX-License-Identifier: Apache-2.0
#pragma once

// Internal to net: the state every connection of one Server shares.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/metrics.h"
#include "net/router.h"
#include "net/server.h"

namespace atelier::net::detail {

/// Something the server can ask to wind down (graceful shutdown).
class Closable {
public:
    virtual ~Closable() = default;
    virtual void shutdown() = 0;
};

class ConnectionRegistry {
public:
    void add(std::uint64_t id, std::weak_ptr<Closable> connection);
    void remove(std::uint64_t id);
    [[nodiscard]] std::size_t size() const;
    void shutdown_all();

private:
    mutable std::mutex m_mutex;
    std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> m_connections;
};

struct ServerContext {
    ServerContext(ServerOptions options_, Router router_, Authenticator authenticate_, MetricsRegistry& metrics_)
        : options(std::move(options_)), router(std::move(router_)), authenticate(std::move(authenticate_)),
          metrics(metrics_), http_connections(metrics_.gauge("atelier_http_connections", "Open HTTP connections")),
          websocket_connections(metrics_.gauge("atelier_ws_connections", "Open WebSocket connections")),
          sse_streams(metrics_.gauge("atelier_sse_streams", "Open Server-Sent Events streams")),
          binary_frames_dropped(
              metrics_.counter("atelier_ws_binary_frames_dropped_total",
                               "Binary frames replaced by a newer one before a slow client took them")) {}

    ServerOptions options;
    Router router;
    Authenticator authenticate;
    MetricsRegistry& metrics;
    ConnectionRegistry connections;
    Gauge& http_connections;
    Gauge& websocket_connections;
    Gauge& sse_streams;
    Counter& binary_frames_dropped;
    std::atomic<bool> stopping{false};

    [[nodiscard]] std::uint64_t next_id() { return m_next_id.fetch_add(1) + 1; }

private:
    std::atomic<std::uint64_t> m_next_id{0};
};

/// Message counters for one WebSocket path, looked up once per connection.
struct WebSocketMetrics {
    Counter& messages_in;
    Counter& messages_out;
    Counter& bytes_in;
    Counter& bytes_out;
    static WebSocketMetrics for_path(MetricsRegistry& metrics, const std::string& path);
};

} // namespace atelier::net::detail
