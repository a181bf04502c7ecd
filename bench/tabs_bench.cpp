// SPDX-License-Identifier: Apache-2.0
// Many clients on one session, and commits of many projects at once (issue #15; results in
// docs/benchmarks.md). Two figures, each beside its floor from the same run:
//   1. N tabs (1, 8, 64) joined to one project's session, each with one echo command in flight
//      (closed loop): calls/s and p50/p99. Floor: one tab.
//   2. 8 projects committing at once (each a session whose tab sends mutating commands, each
//      followed by project/save and a git commit): commits/s. Floor: the same commits of one
//      project at a time.
//
// Usage: tabs_bench --hub build/release/atelier [--calls 200] [--commits 40]

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
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
using atelier::bench::percentile;
using atelier::testing::HubProcess;
using atelier::testing::WsClient;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

class Tab {
public:
    explicit Tab(const HubProcess& hub) {
        auto connection = WsClient::connect(hub.port(), "/ws/browser", {{"Authorization", hub.bearer()}});
        if (!connection.client) {
            throw std::runtime_error("cannot open /ws/browser: " + connection.error);
        }
        m_client = std::move(connection.client);
    }
    std::string send(const std::string& type, const json& payload) {
        const std::string id = std::to_string(++m_next);
        m_client->send_text(json{{"type", type}, {"id", id}, {"payload", payload}}.dump());
        return id;
    }
    /// The reply to request `re` of `type` (other messages are skipped).
    json reply(const std::string& type, const std::string& re = {}) {
        const auto deadline = Clock::now() + std::chrono::seconds(120);
        while (Clock::now() < deadline) {
            auto message =
                m_client->read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            if (!message) {
                break;
            }
            if (!message->is_text) {
                continue;
            }
            auto parsed = json::parse(message->data);
            if (parsed["type"] == "error") {
                throw std::runtime_error("hub error: " + parsed.dump());
            }
            if (parsed["type"] == type && (re.empty() || parsed.value("re", "") == re)) {
                return parsed;
            }
        }
        throw std::runtime_error("no " + type + " within the timeout");
    }

private:
    std::unique_ptr<WsClient> m_client;
    int m_next = 0;
};

std::string create_project(const HubProcess& hub) {
    const auto response =
        atelier::testing::http_request(hub.port(), "POST", "/api/projects", {{"Authorization", hub.bearer()}},
                                       json{{"name", "bench"}, {"kind", "test"}}.dump());
    return json::parse(response.body)["id"];
}

struct Loop {
    double per_second = 0;
    double p50_us = 0;
    double p99_us = 0;
};

/// `tabs` tabs on one project's session, each sending `calls` commands one at a time.
Loop tabs_on_one_session(const HubProcess& hub, int tab_count, int calls, const std::string& tool,
                         const json& arguments) {
    const auto project = create_project(hub);
    std::vector<std::unique_ptr<Tab>> tabs;
    for (int i = 0; i < tab_count; ++i) {
        tabs.push_back(std::make_unique<Tab>(hub));
        tabs.back()->send("session:start", {{"project_id", project}});
        tabs.back()->reply("session:ready");
    }
    std::vector<std::vector<double>> latencies(tabs.size());
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (std::size_t t = 0; t < tabs.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < calls; ++i) {
                const auto sent = Clock::now();
                const auto re = tabs[t]->send("command:send", {{"tool", tool}, {"arguments", arguments}});
                tabs[t]->reply("command:result", re);
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
    tabs.front()->send("session:end", json::object());
    return {static_cast<double>(all.size()) / seconds, percentile(all, 0.5), percentile(all, 0.99)};
}

/// `projects` sessions at once, each committing `commits` versions; commits per second overall.
double commits_at_once(const HubProcess& hub, int projects, int commits) {
    std::vector<std::unique_ptr<Tab>> tabs;
    for (int i = 0; i < projects; ++i) {
        tabs.push_back(std::make_unique<Tab>(hub));
        tabs.back()->send("session:start", {{"project_id", create_project(hub)}});
    }
    for (auto& tab : tabs) {
        tab->reply("session:ready");
    }
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (std::size_t t = 0; t < tabs.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < commits; ++i) {
                const auto re = tabs[t]->send("command:send", {{"tool", "scene__create_object"},
                                                               {"arguments", {{"name", "o" + std::to_string(i)}}}});
                const auto result = tabs[t]->reply("command:result", re);
                if (!result["payload"].contains("version")) {
                    throw std::runtime_error("not committed: " + result.dump());
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const double seconds = ms_since(start) / 1000.0;
    for (auto& tab : tabs) {
        tab->send("session:end", json::object());
    }
    return projects * commits / seconds;
}

} // namespace

int main(int argc, char** argv) {
    std::string hub_path;
    int calls = 200;
    int commits = 40;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--hub") {
            hub_path = argv[i + 1];
        } else if (flag == "--calls") {
            calls = std::atoi(argv[i + 1]);
        } else if (flag == "--commits") {
            commits = std::atoi(argv[i + 1]);
        }
    }
    if (hub_path.empty()) {
        std::fprintf(stderr, "usage: tabs_bench --hub PATH [--calls N] [--commits N]\n");
        return 2;
    }
    setenv("ATELIER_BINARY", std::filesystem::absolute(hub_path).c_str(), 1);
    std::unique_ptr<HubProcess> hub;
    try {
        atelier::testing::TempDir config_dir;
        const auto config = config_dir.path() / "atelier.toml";
        std::ofstream(config) << "[engines.test]\ncommand = [\"" << atelier::testing::test_engine_binary() << "\"]\n";
        hub = HubProcess::start({.args = {"--config", config.string(), "--log-level", "warn", "--session-grace", "60",
                                          "--ws-idle-timeout", "3600"}});

        const json echo{{"text", "ping"}};
        std::printf("## Tabs on one session, one echo command in flight per tab (floor: one tab)\n\n");
        std::printf("| tabs | calls/s | p50 µs | p99 µs |\n|---|---|---|---|\n");
        const auto floor = tabs_on_one_session(*hub, 1, calls, "basics__echo", echo);
        std::printf("| 1 (floor) | %.0f | %.0f | %.0f |\n", floor.per_second, floor.p50_us, floor.p99_us);
        for (const int tabs : {8, 64}) {
            const auto loaded = tabs_on_one_session(*hub, tabs, std::max(10, calls / tabs * 4), "basics__echo", echo);
            std::printf("| %d | %.0f | %.0f | %.0f |\n", tabs, loaded.per_second, loaded.p50_us, loaded.p99_us);
        }

        const double one = commits_at_once(*hub, 1, commits);
        const double eight = commits_at_once(*hub, 8, commits);
        std::printf("\n## Commits of 8 projects at once (floor: one project at a time)\n\n");
        std::printf("| projects committing | commits/s | ratio |\n|---|---|---|\n");
        std::printf("| 1 (floor) | %.1f | 1.0× |\n", one);
        std::printf("| 8 at once | %.1f | %.1f× |\n", eight, eight / one);
        hub->stop(SIGTERM, std::chrono::seconds(60));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "tabs_bench: %s\n%s", error.what(), hub ? hub->log().c_str() : "");
        return 1;
    }
    return 0;
}
