// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): many idle and slow clients. 10,000 TCP connections
// that never send a byte, slow-loris clients trickling a request head or body a byte at a time,
// and WebSockets that upgrade and then never answer a ping — while real clients keep using the
// hub. The real clients' requests all complete; the slow and silent ones are cut (by the request
// read deadline and the WebSocket idle timeout). A second test fills the connection cap: the next
// connection gets a clear 503, and service resumes as connections close. A third fills one client
// address's cap (clients bound to 127.0.0.2) while a client on 127.0.0.1 goes on being served. No
// timing is asserted: the tests wait for events with deadlines.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fault_support.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using namespace std::chrono_literals;

/// Raises this process's open-file limit to its hard limit (the hub, started after, inherits it).
std::size_t raise_open_files() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

bool send_all(int fd, const std::string& bytes) {
    return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

/// Whether the hub ended the connection: reads (without blocking) whatever it sent — pings, an
/// answer — until the end of the stream or a reset.
bool cut_by_hub(int fd) {
    char buffer[4096];
    while (true) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (got == 0) {
            return true;
        }
        if (got < 0) {
            return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
        }
    }
}

/// Reads until the end of the HTTP head (blocking, with a receive timeout).
std::string read_head(int fd) {
    timeval timeout{20, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string head;
    char byte = 0;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &byte, 1, 0) == 1) {
        head += byte;
    }
    return head;
}

/// Closes every descriptor on destruction.
struct Sockets {
    std::vector<int> fds;
    ~Sockets() {
        for (const int fd : fds) {
            ::close(fd);
        }
    }
    [[nodiscard]] std::size_t still_open() const {
        std::size_t open = 0;
        for (const int fd : fds) {
            open += cut_by_hub(fd) ? 0 : 1;
        }
        return open;
    }
};

class FaultConnections : public SessionTest {};

TEST_F(FaultConnections, TenThousandIdleAndSlowClientsDoNotStopRealClientsAndAreCut) {
    constexpr std::size_t kIdle = 10'000;
    constexpr std::size_t kSlow = 25;
    if (raise_open_files() < kIdle + 1024) {
        GTEST_SKIP() << "the open-file limit is too low for " << kIdle << " connections";
    }
    start_test_hub({"--http-idle-timeout", "10", "--ws-idle-timeout", "2"});
    const std::uint16_t port = hub->port();

    Sockets idle;
    for (std::size_t n = 0; n < kIdle; ++n) {
        const int fd = connect_tcp(port);
        ASSERT_GE(fd, 0) << "connection " << n << ": " << std::strerror(errno);
        idle.fds.push_back(fd);
    }
    // Slow-loris: a request head that never ends, and a body that never arrives whole.
    Sockets slow_head, slow_body, silent_ws;
    for (std::size_t n = 0; n < kSlow; ++n) {
        slow_head.fds.push_back(connect_tcp(port));
        ASSERT_TRUE(send_all(slow_head.fds.back(), "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
        slow_body.fds.push_back(connect_tcp(port));
        ASSERT_TRUE(send_all(slow_body.fds.back(),
                             "POST /api/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + hub->bearer() +
                                 "\r\nContent-Type: application/json\r\nContent-Length: "
                                 "100000\r\n\r\n{\"name\": \""));
        // A WebSocket that upgrades and then never reads, so never answers the hub's pings.
        silent_ws.fds.push_back(connect_tcp(port));
        ASSERT_TRUE(send_all(silent_ws.fds.back(),
                             "GET /ws/browser HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
                             "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: "
                             "13\r\nAuthorization: " +
                                 hub->bearer() + "\r\n\r\n"));
        ASSERT_NE(read_head(silent_ws.fds.back()).find(" 101 "), std::string::npos);
    }
    // The slow clients trickle a byte each tenth of a second for as long as the hub lets them.
    std::atomic<bool> trickling{true};
    std::thread trickle([&] {
        while (trickling) {
            for (const auto* group : {&slow_head, &slow_body}) {
                for (const int fd : group->fds) {
                    (void)::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT); // fails once the hub cut it
                }
            }
            std::this_thread::sleep_for(100ms);
        }
    });

    // Real clients, meanwhile: a browser tab running a command, and REST from four threads. The
    // tab keeps reading while it waits, so it answers the hub's pings as a browser does.
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "while crowded"}}}});
    const auto result = tab.next("command:result", 120s);
    ASSERT_FALSE(result.is_null()) << hub->log();
    EXPECT_TRUE(result["payload"].contains("version")) << result.dump();

    constexpr int kClients = 4, kRounds = 15;
    std::atomic<int> answered{0}, finished{0};
    std::vector<std::string> failures;
    std::mutex failures_mutex;
    std::vector<std::thread> clients;
    for (int client = 0; client < kClients; ++client) {
        clients.emplace_back([&, client] {
            for (int n = 0; n < kRounds; ++n) {
                const auto listed = http_request(port, "GET", "/api/projects", auth());
                const auto created = http_request(
                    port, "POST", "/api/projects", auth(),
                    json{{"name", "real " + std::to_string(client) + "-" + std::to_string(n)}, {"kind", "test"}}
                        .dump());
                if (listed.status == 200 && created.status == 201) {
                    answered += 2;
                    continue;
                }
                const std::lock_guard lock(failures_mutex);
                failures.push_back(std::to_string(listed.status) + " " + listed.error + " / " +
                                   std::to_string(created.status) + " " + created.error + created.body);
            }
            ++finished;
        });
    }
    while (finished < kClients) {
        (void)tab.next("(nothing)", 1s);
    }
    for (auto& client : clients) {
        client.join();
    }
    EXPECT_TRUE(failures.empty()) << json(failures).dump();
    EXPECT_EQ(answered, kClients * kRounds * 2);

    // The slow and silent clients are cut; the idle connections too, by the same read deadline.
    EXPECT_TRUE(eventually(
        [&] {
            (void)tab.next("(nothing)", 1s);
            return slow_head.still_open() == 0 && slow_body.still_open() == 0 && silent_ws.still_open() == 0 &&
                   idle.still_open() == 0;
        },
        180s))
        << slow_head.still_open() << " slow-head clients, " << slow_body.still_open() << " slow-body clients, "
        << silent_ws.still_open() << " silent WebSockets and " << idle.still_open()
        << " idle connections still connected";
    trickling = false;
    trickle.join();
    // The tab, which answers pings, is still connected and served.
    EXPECT_TRUE(eventually([&] { return http_request(port, "GET", "/api/health").status == 200; }, 10s));
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "after the crowd"}}}});
    const auto after = tab.next("command:result", 120s);
    ASSERT_FALSE(after.is_null()) << "the tab lost its session while the others were cut\n" << hub->log();
    EXPECT_TRUE(after["payload"].contains("version")) << after.dump();
}

TEST_F(FaultConnections, ConnectionsOverTheCapGetAClear503AndServiceResumesAsTheyClose) {
    constexpr std::size_t kCap = 40;
    start_test_hub({"--max-connections", std::to_string(kCap)});
    const std::uint16_t port = hub->port();
    // The hub accepts in order: once the next connection is answered, these are all counted.
    Sockets idle;
    for (std::size_t n = 0; n < kCap; ++n) {
        idle.fds.push_back(connect_tcp(port));
        ASSERT_GE(idle.fds.back(), 0);
    }
    const auto refused = http_request(port, "GET", "/api/health");
    EXPECT_EQ(refused.status, 503) << refused.error;
    const auto body = json::parse(refused.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << refused.body;
    EXPECT_EQ(body["error"]["code"], "unavailable");
    EXPECT_NE(body["error"]["message"].get<std::string>().find("limit of 40 open connections"), std::string::npos)
        << refused.body;
    EXPECT_EQ(refused.headers.count("retry-after"), 1U);

    // Half of them leave: new clients are served again.
    for (std::size_t n = 0; n < kCap / 2; ++n) {
        ::close(idle.fds.back());
        idle.fds.pop_back();
    }
    EXPECT_TRUE(eventually([&] { return http_request(port, "GET", "/api/health").status == 200; }, 30s));
    EXPECT_EQ(http_request(port, "GET", "/api/projects", auth()).status, 200);
}

/// One request on a fresh connection from `source`: the status line and body, as sent.
std::string request_from(std::uint16_t port, const char* source, const std::string& bearer) {
    const int fd = connect_tcp(port, source);
    if (fd < 0) {
        return std::string("connect failed: ") + std::strerror(errno);
    }
    std::string answer;
    if (send_all(fd, "GET /api/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + bearer +
                         "\r\nConnection: close\r\n\r\n")) {
        timeval timeout{20, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        char buffer[4096];
        for (ssize_t got = 0; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
            answer.append(buffer, static_cast<std::size_t>(got));
        }
    }
    ::close(fd);
    return answer;
}

TEST_F(FaultConnections, OneAddressOverItsCapIsRefusedWhileAnotherAddressIsServed) {
    constexpr std::size_t kPerAddress = 8;
    // Idle connections are not cut while the test runs (the read deadline is not what is tested).
    start_test_hub({"--max-connections-per-address", std::to_string(kPerAddress), "--http-idle-timeout", "600"});
    const std::uint16_t port = hub->port();
    // 127.0.0.2 takes its whole share: idle connections and a WebSocket (its upgrade hands the
    // connection's slot on, so it still counts).
    Sockets crowd;
    for (std::size_t n = 0; n + 1 < kPerAddress; ++n) {
        crowd.fds.push_back(connect_tcp(port, "127.0.0.2"));
        ASSERT_GE(crowd.fds.back(), 0) << "cannot connect from 127.0.0.2: " << std::strerror(errno);
    }
    crowd.fds.push_back(connect_tcp(port, "127.0.0.2"));
    ASSERT_TRUE(send_all(crowd.fds.back(), "GET /ws/browser HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                           "Sec-WebSocket-Version: 13\r\nAuthorization: " +
                                               hub->bearer() + "\r\n\r\n"));
    ASSERT_NE(read_head(crowd.fds.back()).find(" 101 "), std::string::npos);

    // The hub accepts in order: the WebSocket was answered, so every connection before it counts.
    const std::string refused = request_from(port, "127.0.0.2", hub->bearer());
    EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0U) << refused;
    EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
    EXPECT_NE(refused.find("this address already holds 8 open connections"), std::string::npos) << refused;
    // Another address is served meanwhile, on plain requests and on a session.
    for (int n = 0; n < 5; ++n) {
        const std::string served = request_from(port, "127.0.0.1", hub->bearer());
        EXPECT_EQ(served.rfind("HTTP/1.1 200", 0), 0U) << served;
    }
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());

    // The crowd's WebSocket and some idle connections leave: 127.0.0.2 is served again.
    for (int n = 0; n < 3; ++n) {
        ::close(crowd.fds.back());
        crowd.fds.pop_back();
    }
    EXPECT_TRUE(
        eventually([&] { return request_from(port, "127.0.0.2", hub->bearer()).rfind("HTTP/1.1 200", 0) == 0; }, 30s));
}

} // namespace
} // namespace atelier::testing
