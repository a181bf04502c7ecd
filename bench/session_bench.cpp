// SPDX-License-Identifier: Apache-2.0
// Sessions at scale (issue #5; results in docs/benchmarks.md). Three figures, each beside the
// floor it is measured against in the same run:
//   1. session:ready — session:start to session:ready, cold (the engine process is launched) and
//      warm (an idle engine from the pool opens the project). Floor: a command round trip
//      (browser → hub → engine → hub → browser) in an open session.
//   2. idle browser WebSockets — the hub's resident memory per idle /ws/browser connection.
//      Floor: the hub's own resident memory before the connections.
//   3. concurrent sessions — N sessions, each with its own test engine and one browser tab
//      sending commands in a closed loop (one in flight per tab): calls/s and p50/p99.
//      Floor: the same loop with one session.
//
// Usage: session_bench --hub build/release/atelier [--starts 20] [--idle 10000] [--sessions 200]
//        [--calls 200]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"
#include "percentile.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using atelier::testing::HubProcess;
using atelier::testing::WsClient;

using atelier::bench::percentile;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

/// A browser tab: envelopes out, waits for one type in.
class Tab {
public:
    Tab(const HubProcess& hub) {
        auto connection = WsClient::connect(hub.port(), "/ws/browser", {{"Authorization", hub.bearer()}});
        if (!connection.client) {
            throw std::runtime_error("cannot open /ws/browser: " + connection.error);
        }
        m_client = std::move(connection.client);
    }
    void send(const std::string& type, const json& payload) {
        m_client->send_text(json{{"type", type}, {"id", std::to_string(++m_next)}, {"payload", payload}}.dump());
    }
    json next(const std::string& type, std::chrono::seconds timeout = std::chrono::seconds(60)) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            auto message =
                m_client->read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            if (!message) {
                break;
            }
            if (message->is_text) {
                auto parsed = json::parse(message->data);
                if (parsed["type"] == type) {
                    return parsed;
                }
                if (parsed["type"] == "error" ||
                    (parsed["type"] == "session:status" && parsed["payload"]["state"] == "lost")) {
                    throw std::runtime_error("hub error: " + parsed.dump());
                }
            }
        }
        throw std::runtime_error("no " + type + " within the timeout");
    }

private:
    std::unique_ptr<WsClient> m_client;
    int m_next = 0;
};

/// A WebSocket that only shakes hands and then stays idle: one descriptor on this side (the
/// test client would hold an io_context each), so 10 000 of them fit the descriptor limit.
int open_idle_websocket(const HubProcess& hub) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(hub.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    const std::string request = "GET /ws/browser HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\nAuthorization: " +
                                hub.bearer() + "\r\n\r\n";
    if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
        throw std::runtime_error("cannot send the upgrade request");
    }
    std::string response;
    char buffer[1024];
    while (response.find("\r\n\r\n") == std::string::npos) {
        const auto got = ::read(fd, buffer, sizeof buffer);
        if (got <= 0) {
            throw std::runtime_error("the hub closed during the upgrade");
        }
        response.append(buffer, static_cast<std::size_t>(got));
    }
    if (response.rfind("HTTP/1.1 101", 0) != 0) {
        throw std::runtime_error("upgrade refused: " + response.substr(0, response.find('\r')));
    }
    return fd;
}

std::string create_project(const HubProcess& hub, const std::string& kind) {
    const auto response =
        atelier::testing::http_request(hub.port(), "POST", "/api/projects", {{"Authorization", hub.bearer()}},
                                       json{{"name", "bench"}, {"kind", kind}}.dump());
    return json::parse(response.body)["id"];
}

int idle_of(const HubProcess& hub, const std::string& kind) {
    const auto response =
        atelier::testing::http_request(hub.port(), "GET", "/api/engines/pool", {{"Authorization", hub.bearer()}});
    return json::parse(response.body)["kinds"][kind].value("idle", 0);
}

std::size_t live_sessions(const HubProcess& hub) {
    const auto response =
        atelier::testing::http_request(hub.port(), "GET", "/api/sessions", {{"Authorization", hub.bearer()}});
    return json::parse(response.body)["items"].size();
}

/// Milliseconds per session:start → session:ready, `starts` times; each session is ended after.
std::vector<double> measure_starts(const HubProcess& hub, const std::string& kind, int starts, bool warm) {
    std::vector<double> times;
    const auto project = create_project(hub, kind);
    for (int i = 0; i < starts; ++i) {
        while (warm && idle_of(hub, kind) < 1) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        Tab tab(hub);
        const auto start = Clock::now();
        tab.send("session:start", {{"project_id", project}});
        tab.next("session:ready");
        times.push_back(ms_since(start));
        tab.send("session:end", json::object());
        tab.next("ack");
        while (live_sessions(hub) > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    return times;
}

struct LoopResult {
    double calls_per_s = 0;
    double p50 = 0;
    double p99 = 0;
};

/// `sessions` tabs, each in its own session and thread, `calls` closed-loop echo commands each.
LoopResult command_loop(const HubProcess& hub, int sessions, int calls) {
    std::vector<std::unique_ptr<Tab>> tabs;
    for (int i = 0; i < sessions; ++i) {
        tabs.push_back(std::make_unique<Tab>(hub));
        tabs.back()->send("session:start", {{"project_id", create_project(hub, "cold")}});
    }
    for (auto& tab : tabs) {
        tab->next("session:ready", std::chrono::seconds(300));
    }
    std::vector<std::vector<double>> latencies(tabs.size());
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (std::size_t t = 0; t < tabs.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < calls; ++i) {
                const auto sent = Clock::now();
                tabs[t]->send("command:send", {{"tool", "basics__echo"}, {"arguments", {{"text", "ping"}}}});
                tabs[t]->next("command:result");
                latencies[t].push_back(ms_since(sent) * 1000.0);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const double seconds = ms_since(start) / 1000.0;
    std::vector<double> all;
    for (const auto& some : latencies) {
        all.insert(all.end(), some.begin(), some.end());
    }
    for (auto& tab : tabs) {
        tab->send("session:end", json::object());
    }
    while (live_sessions(hub) > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return {static_cast<double>(all.size()) / seconds, percentile(all, 0.5), percentile(all, 0.99)};
}

} // namespace

int main(int argc, char** argv) {
    std::string hub_path;
    int starts = 20;
    int idle = 10000;
    int sessions = 200;
    int calls = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (flag == "--hub") {
            hub_path = argv[i + 1];
        } else if (flag == "--starts") {
            starts = value;
        } else if (flag == "--idle") {
            idle = value;
        } else if (flag == "--sessions") {
            sessions = value;
        } else if (flag == "--calls") {
            calls = value;
        }
    }
    if (hub_path.empty()) {
        std::fprintf(stderr, "usage: session_bench --hub PATH [--starts N] [--idle N] [--sessions N] [--calls N]\n");
        return 2;
    }
    // Absolute: engines run with their working tree as the current directory.
    setenv("ATELIER_BINARY", std::filesystem::absolute(hub_path).c_str(), 1);
    // Both ends hold descriptors per connection (the test client three: socket, epoll, eventfd);
    // the hub inherits this limit.
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max = std::max<rlim_t>(files.rlim_max, 6 * static_cast<rlim_t>(idle) + 4096);
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) { // not root: as far as the hard limit allows
        getrlimit(RLIMIT_NOFILE, &files);
        files.rlim_cur = files.rlim_max;
    }
    setrlimit(RLIMIT_NOFILE, &files);

    std::unique_ptr<HubProcess> hub;
    try {
        const auto engine = atelier::testing::test_engine_binary();
        atelier::testing::TempDir config_dir;
        const auto config = config_dir.path() / "atelier.toml";
        std::ofstream(config) << "[engines.cold]\ncommand = [\"" << engine << "\", \"--kind\", \"cold\"]\n"
                              << "[engines.warm]\ncommand = [\"" << engine << "\", \"--kind\", \"warm\"]\npool = 1\n";
        hub = HubProcess::start({.args = {"--config", config.string(), "--log-level", "warn", "--ws-idle-timeout",
                                          "3600", "--session-grace", "60"}});

        // 1. session:ready, cold and warm, against a command round trip.
        const auto cold = measure_starts(*hub, "cold", starts, false);
        const auto warm = measure_starts(*hub, "warm", starts, true);
        const auto floor = command_loop(*hub, 1, 500);
        std::printf("## session:ready (%d starts each; floor: one command round trip in an open session)\n\n", starts);
        std::printf("| start | p50 ms | p99 ms | p50 / floor |\n|---|---|---|---|\n");
        std::printf("| cold (launch) | %.1f | %.1f | %.0f× |\n", percentile(cold, 0.5), percentile(cold, 0.99),
                    percentile(cold, 0.5) * 1000 / floor.p50);
        std::printf("| warm (pool) | %.1f | %.1f | %.0f× |\n", percentile(warm, 0.5), percentile(warm, 0.99),
                    percentile(warm, 0.5) * 1000 / floor.p50);
        std::printf("| floor: command round trip | %.3f | %.3f | 1× |\n\n", floor.p50 / 1000, floor.p99 / 1000);

        // 2. Idle browser connections: the hub's memory per connection.
        const long before = rss_kib(hub->pid());
        std::vector<int> idle_sockets;
        idle_sockets.reserve(static_cast<std::size_t>(idle));
        for (int i = 0; i < idle; ++i) {
            idle_sockets.push_back(open_idle_websocket(*hub));
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
        const long after = rss_kib(hub->pid());
        std::printf("## %d idle browser WebSockets (floor: the hub's memory before them)\n\n", idle);
        std::printf("| hub RSS before | hub RSS with connections | per connection |\n|---|---|---|\n");
        std::printf("| %.1f MiB | %.1f MiB | %.1f KiB |\n\n", static_cast<double>(before) / 1024,
                    static_cast<double>(after) / 1024, static_cast<double>(after - before) / idle);
        for (const int fd : idle_sockets) {
            ::close(fd);
        }

        // 3. Concurrent sessions driving commands.
        const auto loaded = command_loop(*hub, sessions, calls);
        std::printf("## %d concurrent sessions, one command in flight per tab (floor: one session)\n\n", sessions);
        std::printf("| sessions | calls/s | p50 µs | p99 µs |\n|---|---|---|---|\n");
        std::printf("| 1 (floor) | %.0f | %.0f | %.0f |\n", floor.calls_per_s, floor.p50, floor.p99);
        std::printf("| %d | %.0f | %.0f | %.0f |\n", sessions, loaded.calls_per_s, loaded.p50, loaded.p99);
        hub->stop(SIGTERM, std::chrono::seconds(60));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "session_bench: %s\n%s", error.what(), hub ? hub->log().c_str() : "");
        return 1;
    }
    return 0;
}
