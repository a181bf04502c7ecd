#include <signal.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

using nlohmann::json;

/// One browser tab on /ws/browser: sends envelopes, reads until a given type arrives.
class Tab {
public:
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
    json next(const std::string& type, std::chrono::seconds timeout = std::chrono::seconds(30)) {
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
    void start_hub(const std::string& engine_command, std::vector<std::string> extra = {}) {
        const auto file = config_dir.path() / "atelier.toml";
        std::ofstream(file) << "[engines.test]\ncommand = " << engine_command << "\n";
        std::vector<std::string> args{"--config", file.string()};
        if (std::find(extra.begin(), extra.end(), "--session-grace") == extra.end()) {
            args.insert(args.end(), {"--session-grace", "1"});
        }
        args.insert(args.end(), extra.begin(), extra.end());
        hub = HubProcess::start({.args = args});
    }

    void start_test_hub(std::vector<std::string> extra = {}) {
        start_hub("[\"" + test_engine_binary() + "\"]", std::move(extra));
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

TEST_F(SessionTest, StartRunsTheEngineAndACommandCommitsAVersion) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    EXPECT_EQ(ready["engine"]["kind"], "test");
    EXPECT_EQ(ready["tools"].size(), 10U);

    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "cube"}}}});
    const auto result = tab.next("command:result");
    ASSERT_FALSE(result.is_null());
    EXPECT_EQ(result["payload"]["ok"], true) << result.dump();
    EXPECT_FALSE(result["payload"]["version"].get<std::string>().empty()) << result.dump();
    EXPECT_FALSE(tab.next("version:created").is_null());
    bool scene_updated = false;
    for (const auto& message : tab.seen) {
        scene_updated = scene_updated || message["type"] == "scene:updated";
    }
    EXPECT_TRUE(scene_updated);
    EXPECT_FALSE(tab.frames.empty());
    EXPECT_EQ(tab.frames.front().substr(0, 4), "AVF1");

    const auto versions = http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth());
    EXPECT_NE(versions.body.find("tool scene__create_object"), std::string::npos) << versions.body;
    const auto file = http_request(hub->port(), "GET", "/api/projects/" + project + "/files/scene.json", auth());
    EXPECT_NE(file.body.find("cube"), std::string::npos) << file.body;
}

TEST_F(SessionTest, InvalidCommandArgumentsComeBackAsAResultWithEveryError) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    ASSERT_FALSE(start_session(tab, project).is_null());
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"shape", "blob"}}}});
    const auto result = tab.next("command:result");
    ASSERT_FALSE(result.is_null());
    EXPECT_EQ(result["payload"]["ok"], false);
    EXPECT_EQ(result["payload"]["error"]["code"], "invalid_argument");
    EXPECT_EQ(result["payload"]["error"]["details"].size(), 2U) << result.dump();
}

TEST_F(SessionTest, RefreshReattachesToTheSameEngineProcess) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    std::string session_id;
    int pid = 0;
    {
        Tab tab(*hub, hub->bearer());
        session_id = start_session(tab, project)["session_id"];
        pid = sessions()[0]["engine_pid"];
        ASSERT_GT(pid, 0);
    }
    Tab again(*hub, hub->bearer());
    const auto ready = start_session(again, project, session_id);
    EXPECT_EQ(ready["session_id"], session_id);
    EXPECT_EQ(ready["resumed"], true);
    EXPECT_EQ(sessions()[0]["engine_pid"], pid);
    EXPECT_EQ(sessions().size(), 1U);
}

TEST_F(SessionTest, TwoTabsSeeTheSameEvents) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab first(*hub, hub->bearer());
    const auto session_id = start_session(first, project)["session_id"].get<std::string>();
    Tab second(*hub, hub->bearer());
    start_session(second, project, session_id);
    first.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "shared"}}}});
    const auto in_first = first.next("version:created");
    const auto in_second = second.next("version:created");
    ASSERT_FALSE(in_first.is_null());
    ASSERT_FALSE(in_second.is_null());
    EXPECT_EQ(in_first["payload"], in_second["payload"]);
    const auto scene_of = [](const Tab& tab) {
        for (const auto& message : tab.seen) {
            if (message["type"] == "scene:updated") {
                return message["payload"];
            }
        }
        return json();
    };
    EXPECT_EQ(scene_of(first), scene_of(second));
    EXPECT_FALSE(scene_of(first).is_null());
}

TEST_F(SessionTest, AnotherUserCannotAttachToMySession) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab mine(*hub, hub->bearer());
    const auto session_id = start_session(mine, project)["session_id"].get<std::string>();
    const auto token = http_request(hub->port(), "POST", "/api/tokens", auth(), json{{"user", "bob"}}.dump());
    ASSERT_EQ(token.status, 201) << token.body;
    Tab bobs(*hub, "Bearer " + json::parse(token.body)["token"].get<std::string>());
    bobs.send("session:start", {{"project_id", project}, {"session_id", session_id}});
    const auto error = bobs.next("error");
    ASSERT_FALSE(error.is_null());
    EXPECT_EQ(error["payload"]["code"], "not_found");
    bobs.send("command:send", {{"session_id", session_id}, {"tool", "scene__list_objects"}});
    EXPECT_EQ(bobs.next("error")["payload"]["code"], "not_found");
}

TEST_F(SessionTest, MalformedEnvelopesGetErrorsAndTheConnectionSurvives) {
    start_test_hub();
    Tab tab(*hub, hub->bearer());
    tab.client().send_text("not json");
    EXPECT_EQ(tab.next("error")["payload"]["code"], "protocol_error");
    tab.client().send_text(R"({"type":"session:start","payload":{}})");
    EXPECT_EQ(tab.next("error")["payload"]["code"], "protocol_error");
    tab.send("session:start", json::object());
    const auto missing = tab.next("error");
    EXPECT_NE(missing["payload"]["message"].get<std::string>().find("project_id"), std::string::npos);
    EXPECT_EQ(missing["re"], "m1");
    tab.send("session:teleport", json::object());
    EXPECT_NE(tab.next("error")["payload"]["message"].get<std::string>().find("unknown message type"),
              std::string::npos);
    tab.send("message:send", {{"text", "make a cube"}});
    EXPECT_NE(tab.next("error")["payload"]["message"].get<std::string>().find("no model is configured"),
              std::string::npos);
    tab.send("session:start", {{"project_id", "no-such-project"}});
    EXPECT_EQ(tab.next("error")["payload"]["code"], "not_found");
    EXPECT_FALSE(tab.client().closed());
}

TEST_F(SessionTest, EngineCrashIsRelaunchedFromTheLastVersion) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    ASSERT_FALSE(start_session(tab, project).is_null());
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "kept"}}}});
    ASSERT_EQ(tab.next("command:result")["payload"]["ok"], true);
    tab.send("command:send", {{"tool", "basics__crash"}, {"arguments", json::object()}});
    const auto crashed = tab.next("command:result");
    EXPECT_EQ(crashed["payload"]["ok"], false);
    EXPECT_EQ(crashed["payload"]["error"]["code"], "engine_lost") << crashed.dump();
    json status = tab.next("session:status");
    while (!status.is_null() && status["payload"]["state"] == "starting") {
        status = tab.next("session:status"); // the one session:start sent
    }
    ASSERT_FALSE(status.is_null());
    ASSERT_EQ(status["payload"]["state"], "reconnecting") << status.dump();
    EXPECT_EQ(status["payload"]["attempt"], 1);
    EXPECT_EQ(status["payload"]["max_attempts"], 5);
    ASSERT_FALSE(tab.next("session:ready", std::chrono::seconds(60)).is_null()) << hub->log();
    tab.send("command:send", {{"tool", "scene__list_objects"}, {"arguments", json::object()}});
    const auto listed = tab.next("command:result");
    ASSERT_EQ(listed["payload"]["data"]["objects"].size(), 1U) << listed.dump() << hub->log();
    EXPECT_EQ(listed["payload"]["data"]["objects"][0]["name"], "kept") << listed.dump();
}

TEST_F(SessionTest, ACrashLoopEndsLostWithTheReason) {
    start_hub(R"(["/bin/sh", "-c", "echo 'engine exploded: no GPU' >&2; exit 3"])", {"--engine-max-attempts", "2"});
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    tab.send("session:start", {{"project_id", project}});
    json lost;
    int reconnecting = 0;
    for (int i = 0; i < 10 && lost.is_null(); ++i) {
        const auto status = tab.next("session:status", std::chrono::seconds(60));
        ASSERT_FALSE(status.is_null()) << hub->log();
        if (status["payload"]["state"] == "reconnecting") {
            ++reconnecting;
        } else if (status["payload"]["state"] == "lost") {
            lost = status;
        }
    }
    ASSERT_FALSE(lost.is_null());
    EXPECT_EQ(reconnecting, 2);
    EXPECT_NE(lost["payload"]["detail"].get<std::string>().find("engine exploded"), std::string::npos) << lost.dump();
}

TEST_F(SessionTest, GraceExpirySavesCommitsAndStopsTheEngine) {
    start_test_hub({"--session-grace", "0.5"});
    const auto project = create_project(auth());
    int pid = 0;
    {
        Tab tab(*hub, hub->bearer());
        ASSERT_FALSE(start_session(tab, project).is_null());
        pid = sessions()[0]["engine_pid"];
    }
    for (int i = 0; i < 500 && !sessions().empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(sessions().empty()) << hub->log();
    EXPECT_NE(::kill(pid, 0), 0) << "the engine process is still running";
    EXPECT_NE(hub->log().find("grace period over"), std::string::npos);
}

TEST_F(SessionTest, ShutdownEndsSessionsAndStopsEngines) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    ASSERT_FALSE(start_session(tab, project).is_null());
    const int pid = sessions()[0]["engine_pid"];
    const auto exit_code = hub->stop(SIGTERM, std::chrono::seconds(30));
    ASSERT_TRUE(exit_code);
    EXPECT_EQ(*exit_code, 0);
    EXPECT_NE(::kill(pid, 0), 0) << "the engine outlived the hub";
}

} // namespace
} // namespace atelier::testing
