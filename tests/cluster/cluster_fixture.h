// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hubs of one cluster on loopback (docs/scaling.md): one real PostgreSQL database
// (tests/store/postgres_server.h), shared project repositories, a shared admin token, each hub on
// a port chosen up front (its --hub-url names it), and a real HAProxy with deploy/haproxy/atelier.cfg.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "atelier/source_dir.h"
#include "clients.h"
#include "hub_process.h"
#include "postgres_server.h"
#include "store/session_leases.h"

namespace atelier::testing {

using nlohmann::json;
using namespace std::chrono_literals;

/// A free loopback port: bound, read and released (the hub binds it right after).
inline std::uint16_t reserve_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// Retries `attempt` until it returns true or `deadline` passes (for waits on another process's
/// state: a listening port, a lapsed lease). Each failed attempt yields; none sleeps a fixed time.
template <class Attempt> bool eventually(Attempt attempt, std::chrono::seconds deadline = 60s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (attempt()) {
            return true;
        }
        std::this_thread::sleep_for(20ms); // a poll interval, not a wait for the event
    }
    return false;
}

/// One browser-protocol connection (any port: a hub or HAProxy).
class ClusterTab {
public:
    ClusterTab(std::uint16_t port, const std::string& path, const std::string& token) {
        auto connection = WsClient::connect(port, path, {{"Authorization", "Bearer " + token}});
        m_client = std::move(connection.client);
        status = connection.status;
    }
    [[nodiscard]] bool connected() const { return m_client != nullptr; }

    void send(const std::string& type, const json& payload) {
        m_client->send_text(json{{"type", type}, {"id", "m" + std::to_string(++m_next)}, {"payload", payload}}.dump());
    }

    /// The next message of one of `types`; null on timeout or when the connection closed.
    json next(const std::vector<std::string>& types, std::chrono::seconds timeout = 60s) {
        const auto wanted = [&](const json& message) {
            return std::find(types.begin(), types.end(), message["type"].get<std::string>()) != types.end();
        };
        for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
            if (wanted(*it)) {
                auto found = std::move(*it);
                m_pending.erase(it);
                return found;
            }
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (m_client && std::chrono::steady_clock::now() < deadline) {
            auto message = m_client->read(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            if (!message) {
                return nullptr;
            }
            if (!message->is_text) {
                continue;
            }
            auto parsed = json::parse(message->data);
            if (wanted(parsed)) {
                return parsed;
            }
            m_pending.push_back(std::move(parsed));
        }
        return nullptr;
    }

    /// session:start, then session:ready (its payload) or null (an `error` goes to `error`).
    json start(const std::string& project, const std::string& session_id = {}, std::chrono::seconds timeout = 60s) {
        json payload{{"project_id", project}};
        if (!session_id.empty()) {
            payload["session_id"] = session_id;
        }
        send("session:start", payload);
        auto reply = next({"session:ready", "error"}, timeout);
        if (reply.is_null() || reply["type"] != "session:ready") {
            error = reply;
            return nullptr;
        }
        return reply["payload"];
    }

    /// command:send of a tool; the command:result payload (null on timeout).
    json command(const std::string& tool, const json& arguments, std::chrono::seconds timeout = 60s) {
        send("command:send", {{"tool", tool}, {"arguments", arguments}});
        auto result = next({"command:result"}, timeout);
        return result.is_null() ? result : result["payload"];
    }

    WsClient& client() { return *m_client; }
    int status = 0;
    json error;

private:
    std::unique_ptr<WsClient> m_client;
    std::deque<json> m_pending;
    int m_next = 0;
};

/// HAProxy in the foreground on `deploy/haproxy/atelier.cfg`, stopped on destruction.
class Haproxy {
public:
    Haproxy(const std::vector<std::uint16_t>& hubs) : port(reserve_port()) {
        const std::string config = std::string(ATELIER_SOURCE_DIR) + "/deploy/haproxy/atelier.cfg";
        m_pid = fork();
        if (m_pid == 0) {
            setenv("ATELIER_HAPROXY_BIND", ("127.0.0.1:" + std::to_string(port)).c_str(), 1);
            for (std::size_t n = 0; n < hubs.size(); ++n) {
                setenv(("ATELIER_HUB" + std::to_string(n + 1)).c_str(),
                       ("127.0.0.1:" + std::to_string(hubs[n])).c_str(), 1);
            }
            const int null = ::open("/dev/null", O_WRONLY);
            dup2(null, 1);
            execlp("haproxy", "haproxy", "-db", "-f", config.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        // Ready once it answers (its health checks need a moment to see the hubs up too).
        ready = eventually([&] { return http_request(port, "GET", "/api/health").status == 200; });
    }
    ~Haproxy() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    std::uint16_t port;
    bool ready = false;

private:
    pid_t m_pid = -1;
};

/// N hubs on one database, shared repositories and token, the test engine as kind `test`.
class ClusterTest : public ::testing::Test {
protected:
    void start_cluster(int hub_count, const std::string& engine_flags = {}) {
        auto server = store::testing::PostgresServer::shared();
        ASSERT_TRUE(server) << server.error().message;
        auto url = (*server)->create_database();
        ASSERT_TRUE(url) << url.error().message;
        database = *url;
        const auto file = shared.path() / "atelier.toml";
        std::ofstream(file) << "[engines.test]\ncommand = [\"" << test_engine_binary() << "\"" << engine_flags << "]\n";
        config_file = file.string();
        for (int n = 0; n < hub_count; ++n) {
            hubs.push_back(start_hub());
            ports.push_back(hubs.back()->port());
        }
        auto observer = store::SessionLeases::open(database, "http://observer", 10s);
        ASSERT_TRUE(observer) << observer.error().message;
        leases = std::move(*observer);
    }

    /// A hub on a free port (`--port 0`); a hub URL with port 0 names the port it bound.
    std::unique_ptr<HubProcess> start_hub() {
        return HubProcess::start(
            {.args = {"--config", config_file, "--database", database, "--hub-url", "http://127.0.0.1:0",
                      "--projects-dir", (shared.path() / "projects").string(), "--renders-dir",
                      (shared.path() / "renders").string(), "--cluster-lease", "2", "--session-grace", "60"},
             .env = {{"ATELIER_TOKEN", token}}});
    }

    [[nodiscard]] std::string hub_url(int n) const { return "http://127.0.0.1:" + std::to_string(ports[n]); }

    /// The hub index holding `project`'s lease (by the table), or -1.
    int owner(const std::string& project) {
        auto lease = leases->find(project);
        if (!lease || !*lease) {
            return -1;
        }
        for (std::size_t n = 0; n < ports.size(); ++n) {
            if ((*lease)->hub_url == hub_url(static_cast<int>(n))) {
                return static_cast<int>(n);
            }
        }
        return -1;
    }

    std::string create_project(std::uint16_t port, const std::string& name) {
        const auto response = http_request(port, "POST", "/api/projects", {{"Authorization", "Bearer " + token}},
                                           json{{"name", name}, {"kind", "test"}}.dump());
        EXPECT_EQ(response.status, 201) << response.body;
        return response.status == 201 ? json::parse(response.body)["id"].get<std::string>() : std::string();
    }

    const std::string token = "cluster-test-token-0123456789abcdef";
    TempDir shared;
    std::string database;
    std::string config_file;
    std::vector<std::uint16_t> ports;
    std::vector<std::unique_ptr<HubProcess>> hubs;
    std::unique_ptr<store::SessionLeases> leases;
};

} // namespace atelier::testing
