// SPDX-License-Identifier: Apache-2.0
#include "net/connection_limits.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

namespace atelier::net::detail {

std::size_t raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 1024;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            limit = raised;
        }
    }
    return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(limit.rlim_cur);
}

std::size_t connection_cap(std::size_t configured, std::size_t open_files) {
    constexpr std::size_t kFloor = 16;
    const std::size_t affordable =
        open_files > kReservedDescriptors + kFloor ? open_files - kReservedDescriptors : kFloor;
    return configured > 0 ? std::min(configured, affordable) : affordable;
}

namespace {

/// The key an address is counted under: IPv4 (also mapped) as it is, IPv6 by its /64.
std::string count_key(const asio::ip::address& address) {
    if (address.is_v4()) {
        return address.to_string();
    }
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
    }
    auto bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return asio::ip::address_v6(bytes).to_string() + "/64";
}

bool is_loopback(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
    }
    return address.is_loopback();
}

void refuse_with(tcp::socket socket, const std::string& message);

} // namespace

/// Gives its slot back when the last copy of the lease goes; keeps the counts alive, not the server.
struct AddressCounts::Slot {
    Slot(std::shared_ptr<Counts> counts_, std::string key_) : counts(std::move(counts_)), key(std::move(key_)) {}
    ~Slot() {
        const std::lock_guard lock(counts->mutex);
        if (const auto found = counts->open.find(key); found != counts->open.end() && --found->second == 0) {
            counts->open.erase(found);
        }
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    std::shared_ptr<Counts> counts;
    std::string key;
};

AddressCounts::AddressCounts(std::size_t configured)
    : m_cap(configured > 0 ? configured : kDefaultConnectionsPerAddress), m_loopback_exempt(configured == 0) {}

std::optional<AddressLease> AddressCounts::acquire(const asio::ip::address& address) {
    if (m_loopback_exempt && is_loopback(address)) {
        return AddressLease{};
    }
    std::string key = count_key(address);
    {
        const std::lock_guard lock(m_counts->mutex);
        auto& open = m_counts->open[key];
        if (open >= m_cap) {
            return std::nullopt;
        }
        ++open;
    }
    return AddressLease(std::make_shared<Slot>(m_counts, std::move(key)));
}

void refuse_connection(tcp::socket socket, std::size_t cap) {
    refuse_with(std::move(socket), fmt::format("the hub is at its limit of {} open connections; retry shortly", cap));
}

void refuse_connection_from_address(tcp::socket socket, std::size_t cap) {
    refuse_with(std::move(socket),
                fmt::format("this address already holds {} open connections, the hub's limit per address; close some "
                            "and retry",
                            cap));
}

namespace {

void refuse_with(tcp::socket socket, const std::string& message) {
    const std::string body = fmt::format(R"({{"error":{{"code":"unavailable","message":"{}"}}}})", message);
    struct Refusal {
        Refusal(tcp::socket socket_, std::string answer_)
            : socket(std::move(socket_)), answer(std::move(answer_)), deadline(socket.get_executor()) {}
        tcp::socket socket;
        std::string answer;
        asio::steady_timer deadline;
        std::array<char, 4096> discard{};

        // Closing with the client's request unread would reset the connection, and the client
        // could lose the answer: read and drop what it sends until it closes, for a moment at most.
        void drain(const std::shared_ptr<Refusal>& self) {
            socket.async_read_some(asio::buffer(discard), [self](beast::error_code error, std::size_t) {
                if (error) {
                    self->deadline.cancel();
                    beast::error_code ignored;
                    self->socket.close(ignored);
                    return;
                }
                self->drain(self);
            });
        }
    };
    auto state = std::make_shared<Refusal>(
        std::move(socket), fmt::format("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                       "Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
                                       body.size(), body));
    // The answer fits the socket's send buffer: the write completes without waiting on the client.
    asio::async_write(state->socket, asio::buffer(state->answer), [state](beast::error_code error, std::size_t) {
        beast::error_code ignored;
        if (error) {
            state->socket.close(ignored);
            return;
        }
        state->socket.shutdown(tcp::socket::shutdown_send, ignored);
        state->deadline.expires_after(std::chrono::seconds(2));
        state->deadline.async_wait([state](beast::error_code timer_error) {
            if (!timer_error) {
                beast::error_code also_ignored;
                state->socket.close(also_ignored);
            }
        });
        state->drain(state);
    });
}

} // namespace

bool accept_out_of_resources(const beast::error_code& error) {
    const int code = error.value();
    return error.category() == asio::error::get_system_category() &&
           (code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM);
}

} // namespace atelier::net::detail
