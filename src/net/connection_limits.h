// SPDX-License-Identifier: Apache-2.0
#pragma once

// Internal to net: what keeps many idle or slow clients from starving the others. Slow clients
// are cut by the request read deadline (ServerOptions::http_idle_timeout covers a whole request
// head and body) and by the WebSocket ping/idle timeout; this file holds the rest: a cap on open
// connections answered with a clear 503, the open-file limit raised to what the system allows, and
// a pause instead of a busy loop when accept runs out of descriptors, and a cap per client address
// so that one client cannot take every connection the hub allows.

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/beast.h"

namespace atelier::net::detail {

/// File descriptors kept free for everything that is not a client connection: the store,
/// repositories being committed, engines' pipes, files being served.
inline constexpr std::size_t kReservedDescriptors = 512;

/// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the soft limit in force.
std::size_t raise_open_file_limit();

/// The connection cap in force: `configured` when set (non-zero), else the open-file limit minus
/// the reserve; never more than the open-file limit allows, never below 16.
[[nodiscard]] std::size_t connection_cap(std::size_t configured, std::size_t open_files);

/// Connections per address when `limits.connections_per_address` is 0 (every address but loopback).
inline constexpr std::size_t kDefaultConnectionsPerAddress = 512;

/// Open connections per client address against a cap. IPv4 addresses (also IPv4-mapped IPv6 ones)
/// count one by one; IPv6 addresses count by their /64 prefix, which one client usually holds
/// whole. Thread-safe; leases may outlive this object.
class AddressCounts {
public:
    /// `configured` 0: kDefaultConnectionsPerAddress, loopback addresses not counted (a reverse proxy
    /// on the same machine carries everyone's connections); N: N for every address, loopback included.
    explicit AddressCounts(std::size_t configured);

    /// A lease on one slot of `address`; nullopt when the address already holds `cap()` connections.
    [[nodiscard]] std::optional<AddressLease> acquire(const asio::ip::address& address);
    [[nodiscard]] std::size_t cap() const { return m_cap; }

private:
    struct Counts {
        std::mutex mutex;
        std::unordered_map<std::string, std::size_t> open; // key → open connections (none: absent)
    };
    struct Slot;
    std::shared_ptr<Counts> m_counts = std::make_shared<Counts>();
    std::size_t m_cap;
    bool m_loopback_exempt;
};

/// Answers a connection over the cap with `503` ("the hub is at its limit of N open
/// connections") and closes it, without reading its request.
void refuse_connection(tcp::socket socket, std::size_t cap);

/// The same for a client address at its own cap ("this address already holds N connections").
void refuse_connection_from_address(tcp::socket socket, std::size_t cap);

/// Whether an accept failed for want of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM): accepting
/// again at once would spin, so the acceptor pauses.
[[nodiscard]] bool accept_out_of_resources(const beast::error_code& error);

} // namespace atelier::net::detail
