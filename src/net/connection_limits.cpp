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

void refuse_connection(tcp::socket socket, std::size_t cap) {
    const std::string body = fmt::format(
        R"({{"error":{{"code":"unavailable","message":"the hub is at its limit of {} open connections; retry shortly"}}}})",
        cap);
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

bool accept_out_of_resources(const beast::error_code& error) {
    const int code = error.value();
    return error.category() == asio::error::get_system_category() &&
           (code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM);
}

} // namespace atelier::net::detail
