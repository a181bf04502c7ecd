// SPDX-License-Identifier: Apache-2.0
// Many hubs on one PostgreSQL (issue 24; results in docs/benchmarks.md, docs/scaling.md):
//   1. A command through a non-owner hub (its WebSocket spliced to the owner) against the same
//      command on the owner, interleaved in one run: p50/p99. Also REST GET of the project both ways.
//   2. An MCP tools/call through a non-owner hub (its MCP session follows the project to the owner,
//      docs/scaling.md "MCP") against one on the owner, interleaved: p50/p99.
//   3. Failover: kill -9 of the owner of 3 live projects, then session:start on the other hub
//      (retried until ready): time from the kill to session:ready per project. Floor, same run: a
//      cold session:ready of a fresh project on that hub, and the lease time.
//
// Usage: cluster_bench --hub build/release/atelier [--calls 400] [--lease 10]

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
#include "mcp_peer.h"
#include "percentile.h"
#include "postgres_server.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using atelier::bench::percentile;
using atelier::testing::HubProcess;
using atelier::testing::WsClient;

const std::string kToken = "cluster-bench-token-0123456789abcdef";

double us_since(Clock::time_point start) {
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

class Tab {
public:
    Tab(std::uint16_t port, const std::string& project) {
        auto connection =
            WsClient::connect(port, "/ws/browser?project=" + project, {{"Authorization", "Bearer " + kToken}});
        m_client = std::move(connection.client);
    }
    [[nodiscard]] bool connected() const { return m_client != nullptr; }
    std::string send(const std::string& type, const json& payload) {
        const std::string id = std::to_string(++m_next);
        m_client->send_text(json{{"type", type}, {"id", id}, {"payload", payload}}.dump());
        return id;
    }
    /// The reply of `type` to `re`, or an `error`; null when the connection ends or 60 s pass.
    json reply(const std::string& type, const std::string& re) {
        const auto deadline = Clock::now() + std::chrono::seconds(60);
        while (m_client && Clock::now() < deadline) {
            auto message =
                m_client->read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            if (!message) {
                return nullptr;
            }
            if (!message->is_text) {
                continue;
            }
            auto parsed = json::parse(message->data);
            const bool answers = parsed.value("re", "") == re;
            if ((parsed["type"] == type && (answers || type == "session:ready")) ||
                (parsed["type"] == "error" && answers)) {
                return parsed;
            }
        }
        return nullptr;
    }
    json start(const std::string& project) {
        auto ready = reply("session:ready", send("session:start", {{"project_id", project}}));
        return !ready.is_null() && ready["type"] == "session:ready" ? ready : json();
    }

private:
    std::unique_ptr<WsClient> m_client;
    int m_next = 0;
};

struct Latency {
    std::vector<double> us;
    void print(const char* what) const {
        std::printf("| %s | %zu | %.0f | %.0f |\n", what, us.size(), percentile(us, 0.5), percentile(us, 0.99));
    }
};

std::string create_project(std::uint16_t port, const std::string& name) {
    const auto response =
        atelier::testing::http_request(port, "POST", "/api/projects", {{"Authorization", "Bearer " + kToken}},
                                       json{{"name", name}, {"kind", "test"}}.dump());
    if (response.status != 201) {
        throw std::runtime_error("create project: " + response.body);
    }
    return json::parse(response.body)["id"];
}

} // namespace

int main(int argc, char** argv) {
    std::string hub_path = "build/release/atelier";
    int calls = 400;
    std::string lease = "10";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--hub") {
            hub_path = argv[i + 1];
        } else if (flag == "--calls") {
            calls = std::atoi(argv[i + 1]);
        } else if (flag == "--lease") {
            lease = argv[i + 1];
        }
    }
    setenv("ATELIER_BINARY", std::filesystem::absolute(hub_path).c_str(), 1);
    std::vector<std::unique_ptr<HubProcess>> hubs;
    try {
        auto server = atelier::store::testing::PostgresServer::start();
        if (!server) {
            throw std::runtime_error(server.error().message);
        }
        auto database = (*server)->create_database();
        if (!database) {
            throw std::runtime_error(database.error().message);
        }
        atelier::testing::TempDir shared;
        const auto config = shared.path() / "atelier.toml";
        std::ofstream(config) << "[engines.test]\ncommand = [\"" << atelier::testing::test_engine_binary() << "\"]\n";
        const auto start_hub = [&] {
            return HubProcess::start(
                {.args = {"--config", config.string(), "--database", *database, "--hub-url", "http://127.0.0.1:0",
                          "--projects-dir", (shared.path() / "projects").string(), "--cluster-lease", lease,
                          "--session-grace", "600", "--log-level", "warn", "--ws-idle-timeout", "3600"},
                 .env = {{"ATELIER_TOKEN", kToken}}});
        };
        hubs.push_back(start_hub());
        hubs.push_back(start_hub());
        const std::vector<std::uint16_t> ports{hubs[0]->port(), hubs[1]->port()};

        // 1. Through the owner and through the other hub, interleaved.
        const std::string project = create_project(ports[0], "forwarding");
        Tab owner(ports[0], project);
        if (!owner.connected() || owner.start(project).is_null()) {
            throw std::runtime_error("no session on the owner");
        }
        Tab other(ports[1], project);
        if (!other.connected() || other.start(project).is_null()) {
            throw std::runtime_error("the non-owner did not join the owner's session");
        }
        Latency via_owner;
        Latency via_other;
        Latency rest_owner;
        Latency rest_other;
        const json echo{{"tool", "basics__echo"}, {"arguments", {{"text", "ping"}}}};
        const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + kToken}};
        for (int n = 0; n < calls; ++n) {
            for (auto* side : {&owner, &other}) {
                const auto start = Clock::now();
                const auto result = side->reply("command:result", side->send("command:send", echo));
                if (result.is_null() || result["type"] != "command:result") {
                    throw std::runtime_error("command failed: " + result.dump());
                }
                (side == &owner ? via_owner : via_other).us.push_back(us_since(start));
            }
            for (const std::size_t hub : {0U, 1U}) {
                const auto start = Clock::now();
                const auto got = atelier::testing::http_request(ports[hub], "GET", "/api/projects/" + project, auth);
                if (got.status != 200) {
                    throw std::runtime_error("REST failed: " + got.body);
                }
                (hub == 0 ? rest_owner : rest_other).us.push_back(us_since(start));
            }
        }
        std::printf("## A command through a non-owner hub (floor: the owner, same run, interleaved)\n\n");
        std::printf("| path | n | p50 µs | p99 µs |\n|---|---|---|---|\n");
        via_owner.print("WebSocket command on the owner (floor)");
        via_other.print("WebSocket command through the other hub");
        rest_owner.print("REST GET /api/projects/{id} on the owner (floor)");
        rest_other.print("REST GET /api/projects/{id} through the other hub");

        // 2. MCP through the owner and through the other hub, interleaved.
        atelier::testing::McpPeer mcp_owner(ports[0], kToken);
        atelier::testing::McpPeer mcp_other(ports[1], kToken);
        Latency mcp_via_owner;
        Latency mcp_via_other;
        for (auto* peer : {&mcp_owner, &mcp_other}) {
            if (!peer->initialize() ||
                !atelier::testing::McpPeer::succeeded(peer->call("open_project", {{"project_id", project}}))) {
                throw std::runtime_error("MCP: could not open the project");
            }
        }
        for (int n = 0; n < calls; ++n) {
            for (auto* peer : {&mcp_owner, &mcp_other}) {
                const auto start = Clock::now();
                const auto answer = peer->call("basics__echo", {{"text", "ping"}});
                if (!atelier::testing::McpPeer::succeeded(answer)) {
                    throw std::runtime_error("MCP call failed: " + answer.dump());
                }
                (peer == &mcp_owner ? mcp_via_owner : mcp_via_other).us.push_back(us_since(start));
            }
        }
        std::printf("\n## An MCP tools/call through a non-owner hub (floor: the owner, same run, interleaved)\n\n");
        std::printf("| path | n | p50 µs | p99 µs |\n|---|---|---|---|\n");
        mcp_via_owner.print("MCP tools/call basics__echo on the owner (floor)");
        mcp_via_other.print("MCP tools/call basics__echo through the other hub");

        // 3. The stateless revision (2026-07-28): a call with a seat handle, routed by the project the
        // handle names; and tools/list, which also asks the other hub for the user's seats there.
        atelier::testing::StatelessPeer stateless_owner(ports[0], kToken);
        atelier::testing::StatelessPeer stateless_other(ports[1], kToken);
        std::map<atelier::testing::StatelessPeer*, std::string> handles;
        for (auto* peer : {&stateless_owner, &stateless_other}) {
            const auto opened = peer->call("open_project", {{"project_id", project}});
            if (!atelier::testing::McpPeer::succeeded(opened)) {
                throw std::runtime_error("stateless MCP: could not open the project: " + opened.dump());
            }
            handles[peer] = opened["result"]["structuredContent"]["session"];
        }
        Latency seat_via_owner;
        Latency seat_via_other;
        Latency list_local;
        Latency list_on_owner;
        Latency list_on_other;
        for (int n = 0; n < calls; ++n) {
            for (auto* peer : {&stateless_owner, &stateless_other}) {
                auto start = Clock::now();
                const auto answer = peer->call("basics__echo", {{"text", "ping"}, {"session", handles[peer]}});
                if (!atelier::testing::McpPeer::succeeded(answer)) {
                    throw std::runtime_error("stateless MCP call failed: " + answer.dump());
                }
                (peer == &stateless_owner ? seat_via_owner : seat_via_other).us.push_back(us_since(start));
                start = Clock::now();
                const auto listed = peer->request("tools/list");
                if (!listed.is_object() || !listed.contains("result")) {
                    throw std::runtime_error("stateless tools/list failed: " + listed.dump());
                }
                (peer == &stateless_owner ? list_on_owner : list_on_other).us.push_back(us_since(start));
            }
            // The floor of a list: the owner's own seats only, as a hub asks another.
            const auto body = stateless_owner.message("tools/list");
            auto local_headers = stateless_owner.headers(body);
            local_headers["X-Atelier-Mcp-Local"] = "1";
            local_headers["X-Atelier-Forwarded-By"] = "cluster_bench";
            const auto start = Clock::now();
            const auto local = atelier::testing::http_request(ports[0], "POST", "/mcp", local_headers, body.dump());
            if (local.status != 200) {
                throw std::runtime_error("stateless tools/list (local) failed: " + local.body);
            }
            list_local.us.push_back(us_since(start));
        }
        std::printf("\n## Stateless MCP (2026-07-28) through a non-owner hub (floor: the owner, same run, "
                    "interleaved)\n\n");
        std::printf("| path | n | p50 µs | p99 µs |\n|---|---|---|---|\n");
        seat_via_owner.print("stateless tools/call basics__echo with a seat handle, on the owner (floor)");
        seat_via_other.print("stateless tools/call basics__echo with a seat handle, through the other hub");
        list_local.print("stateless tools/list of the owner's own seats only (floor)");
        list_on_owner.print("stateless tools/list on the owner (asks the other hub too)");
        list_on_other.print("stateless tools/list on the other hub (asks the owner too)");

        // 4. Failover. Floor: a cold session:ready on the surviving hub.
        std::vector<std::string> owned;
        for (int n = 0; n < 3; ++n) {
            owned.push_back(create_project(ports[0], "failover" + std::to_string(n)));
        }
        std::vector<std::unique_ptr<Tab>> tabs;
        for (const auto& id : owned) {
            tabs.push_back(std::make_unique<Tab>(ports[0], id));
            if (tabs.back()->start(id).is_null()) {
                throw std::runtime_error("no session for " + id);
            }
        }
        const std::string fresh = create_project(ports[1], "cold");
        const auto cold_start = Clock::now();
        Tab cold(ports[1], fresh);
        if (cold.start(fresh).is_null()) {
            throw std::runtime_error("cold start failed");
        }
        const double cold_ms = us_since(cold_start) / 1000;

        hubs[0]->stop(SIGKILL, std::chrono::seconds(10));
        const auto killed = Clock::now();
        // Each project's tab retries on its own thread, as each project's browser would.
        std::vector<double> back_ms(owned.size());
        std::vector<int> attempts(owned.size());
        std::vector<std::thread> clients;
        for (std::size_t n = 0; n < owned.size(); ++n) {
            clients.emplace_back([&, n] {
                while (Clock::now() - killed < std::chrono::seconds(120)) {
                    ++attempts[n];
                    Tab again(ports[1], owned[n]);
                    if (again.connected() && !again.start(owned[n]).is_null()) {
                        back_ms[n] = us_since(killed) / 1000;
                        return;
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // a client's retry interval
                }
            });
        }
        for (auto& client : clients) {
            client.join();
        }
        for (std::size_t n = 0; n < owned.size(); ++n) {
            if (back_ms[n] == 0) {
                throw std::runtime_error("project " + owned[n] + " did not come back");
            }
        }
        std::printf("\n## Failover after kill -9 of the owner (lease %s s; client retries every 50 ms)\n\n",
                    lease.c_str());
        std::printf("| what | ms |\n|---|---|\n");
        std::printf("| cold session:ready of a fresh project on the surviving hub (floor) | %.0f |\n", cold_ms);
        for (std::size_t n = 0; n < back_ms.size(); ++n) {
            std::printf("| kill -9 → session:ready of project %zu on the surviving hub (%d attempts) | %.0f |\n", n + 1,
                        attempts[n], back_ms[n]);
        }
        hubs[1]->stop(SIGTERM, std::chrono::seconds(60));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "cluster_bench: %s\n", error.what());
        for (const auto& hub : hubs) {
            std::fprintf(stderr, "%s", hub->log().c_str());
        }
        return 1;
    }
    return 0;
}
