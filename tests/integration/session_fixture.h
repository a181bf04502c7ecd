// SPDX-License-Identifier: Apache-2.0
#pragma once

// The browser side of session tests: a tab on /ws/browser and a fixture that starts the hub
// with the test engine as the `test` engine kind.

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"

namespace atelier::testing {

using nlohmann::json;

/// One browser tab on /ws/browser: sends envelopes, reads until a given type arrives.
class Tab {
public:
    explicit Tab(const HubProcess& hub) : Tab(hub, hub.bearer()) {}
    Tab(const HubProcess& hub, const std::string& bearer) {
        auto connection = WsClient::connect(hub.port(), "/ws/browser", {{"Authorization", bearer}});
        EXPECT_NE(connection.client, nullptr) << connection.status << " " << connection.error;
        m_client = std::move(connection.client);
    }

    std::string send(const std::string& type, const json& payload) {
        const std::string id = "m" + std::to_string(++m_next);
        m_client->send_text(json{{"type", type}, {"id", id}, {"payload", payload}}.dump());
        return id;
    }

    /// The next text message of `type` (others are kept in `seen`); null json on timeout.
    json next(const std::string& type, std::chrono::seconds timeout = std::chrono::seconds(60)) {
        for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
            if ((*it)["type"] == type) {
                auto found = std::move(*it);
                m_pending.erase(it);
                return found;
            }
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto message = m_client->read(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            if (!message) {
                return nullptr;
            }
            if (!message->is_text) {
                frames.push_back(message->data);
                continue;
            }
            auto parsed = json::parse(message->data);
            seen.push_back(parsed);
            if (parsed["type"] == type) {
                return parsed;
            }
            m_pending.push_back(parsed);
        }
        return nullptr;
    }

    /// Everything of `type` seen so far.
    [[nodiscard]] std::vector<json> all(const std::string& type) const {
        std::vector<json> out;
        for (const auto& message : seen) {
            if (message["type"] == type) {
                out.push_back(message);
            }
        }
        return out;
    }

    /// The concatenated `agent:message` deltas seen so far.
    [[nodiscard]] std::string streamed() const {
        std::string text;
        for (const auto& message : all("agent:message")) {
            text += message["payload"]["delta"].get<std::string>();
        }
        return text;
    }

    WsClient& client() { return *m_client; }
    std::vector<json> seen;
    std::vector<std::string> frames;

private:
    std::unique_ptr<WsClient> m_client;
    std::deque<json> m_pending;
    int m_next = 0;
};

class SessionTest : public ::testing::Test {
protected:
    /// `kind_lines` go into the [engines.test] table after its command (e.g. "pool = 1").
    void start_hub(const std::string& engine_command, std::vector<std::string> extra = {},
                   const std::string& kind_lines = {}) {
        const auto file = config_dir.path() / "atelier.toml";
        std::ofstream(file) << "[engines.test]\ncommand = " << engine_command << "\n" << kind_lines << "\n";
        std::vector<std::string> args{"--config", file.string()};
        if (std::find(extra.begin(), extra.end(), "--session-grace") == extra.end()) {
            args.insert(args.end(), {"--session-grace", "1"});
        }
        args.insert(args.end(), extra.begin(), extra.end());
        hub = HubProcess::start({.args = args});
    }

    void start_test_hub(std::vector<std::string> extra = {}, const std::string& kind_lines = {}) {
        start_hub("[\"" + test_engine_binary() + "\"]", std::move(extra), kind_lines);
    }

    std::map<std::string, std::string> auth() const { return {{"Authorization", hub->bearer()}}; }

    std::string create_project(const std::map<std::string, std::string>& headers) {
        const auto response = http_request(hub->port(), "POST", "/api/projects", headers,
                                           json{{"name", "demo"}, {"kind", "test"}}.dump());
        EXPECT_EQ(response.status, 201) << response.body;
        return json::parse(response.body)["id"];
    }

    /// session:start on `tab` and wait for session:ready; returns its payload.
    json start_session(Tab& tab, const std::string& project, const std::string& session_id = {}) {
        json payload{{"project_id", project}};
        if (!session_id.empty()) {
            payload["session_id"] = session_id;
        }
        tab.send("session:start", payload);
        auto ready = tab.next("session:ready", std::chrono::seconds(60));
        EXPECT_FALSE(ready.is_null()) << json(tab.seen).dump() << hub->log();
        return ready.is_null() ? json() : ready["payload"];
    }

    json sessions() { return json::parse(http_request(hub->port(), "GET", "/api/sessions", auth()).body)["items"]; }

    TempDir config_dir;
    std::unique_ptr<HubProcess> hub;
};

} // namespace atelier::testing
