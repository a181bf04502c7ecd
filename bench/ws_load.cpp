// SPDX-License-Identifier: Apache-2.0
// WebSocket round-trip load client: N connections, each sending a message and waiting for its
// echo, M times. Prints one JSON line: p50/p99 round trip (µs) and messages per second.
//
//   ws_load --port P --path /ws/echo [--token T] [--connections 64] [--messages 2000] [--size 256 | --message TEXT]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clients.h"

namespace {

struct Options {
    std::uint16_t port = 0;
    std::string path = "/ws/echo";
    std::string token;
    int connections = 1;
    int messages = 2000;
    std::size_t size = 256;
    std::string message; ///< sent as is instead of `size` filler bytes
};

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--port") {
            options.port = static_cast<std::uint16_t>(std::stoi(value));
        } else if (flag == "--path") {
            options.path = value;
        } else if (flag == "--token") {
            options.token = value;
        } else if (flag == "--connections") {
            options.connections = std::stoi(value);
        } else if (flag == "--messages") {
            options.messages = std::stoi(value);
        } else if (flag == "--message") {
            options.message = value;
        } else if (flag == "--size") {
            options.size = static_cast<std::size_t>(std::stoul(value));
        }
    }
    return options;
}

} // namespace

int main(int argc, char** argv) {
    using Clock = std::chrono::steady_clock;
    const auto options = parse(argc, argv);
    std::map<std::string, std::string> headers;
    if (!options.token.empty()) {
        headers["Authorization"] = "Bearer " + options.token;
    }

    std::vector<std::unique_ptr<atelier::testing::WsClient>> clients;
    for (int i = 0; i < options.connections; ++i) {
        auto connection = atelier::testing::WsClient::connect(options.port, options.path, headers);
        if (!connection.client) {
            std::fprintf(stderr, "ws_load: connect failed: %d %s\n", connection.status, connection.error.c_str());
            return 1;
        }
        clients.push_back(std::move(connection.client));
    }

    const std::string payload = options.message.empty() ? std::string(options.size, 'x') : options.message;
    std::vector<std::vector<double>> samples(clients.size());
    std::atomic<int> failures{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        threads.emplace_back([&, i] {
            while (!go) {
                std::this_thread::yield();
            }
            auto& client = *clients[i];
            samples[i].reserve(static_cast<std::size_t>(options.messages));
            for (int m = 0; m < options.messages; ++m) {
                const auto start = Clock::now();
                if (!client.send_text(payload) || !client.read()) {
                    ++failures;
                    return;
                }
                samples[i].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
            }
        });
    }
    const auto started = Clock::now();
    go = true;
    for (auto& thread : threads) {
        thread.join();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

    std::vector<double> all;
    for (const auto& per_connection : samples) {
        all.insert(all.end(), per_connection.begin(), per_connection.end());
    }
    if (all.empty() || failures > 0) {
        std::fprintf(stderr, "ws_load: %d connection(s) failed\n", failures.load());
        return 1;
    }
    std::sort(all.begin(), all.end());
    const auto percentile = [&](double p) {
        return all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))];
    };
    std::printf("{\"connections\":%d,\"messages\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,\"msgs_per_s\":%.0f}\n",
                options.connections, all.size(), percentile(0.5), percentile(0.99),
                static_cast<double>(all.size()) / seconds);
    for (auto& client : clients) {
        client->close();
    }
    return 0;
}
