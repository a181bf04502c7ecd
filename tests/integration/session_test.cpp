// SPDX-License-Identifier: Apache-2.0
#include <signal.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;

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
    EXPECT_NE(versions.body.find("create_object name=cube"), std::string::npos) << versions.body;
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

TEST_F(SessionTest, StartingAnotherProjectLeavesThePreviousSession) {
    start_test_hub({"--session-grace", "30"});
    const auto first = create_project(auth());
    const auto second = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto left = start_session(tab, first)["session_id"].get<std::string>();
    const auto joined = start_session(tab, second)["session_id"].get<std::string>();
    ASSERT_NE(left, joined);
    for (const auto& session : sessions()) {
        EXPECT_EQ(session["tabs"], session["id"] == joined ? 1 : 0) << session.dump();
        if (session["id"] == left) {
            EXPECT_EQ(session["state"], "detached");
        }
    }
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
    const auto scene_of = [](const Tab& tab) { // the latest scene each tab was told
        json latest;
        for (const auto& message : tab.seen) {
            if (message["type"] == "scene:updated") {
                latest = message["payload"];
            }
        }
        return latest;
    };
    EXPECT_EQ(scene_of(first), scene_of(second));
    EXPECT_FALSE(scene_of(first).is_null());
}

// A tab that never reads must not slow the session down for the others: every broadcast to it
// lands in its own bounded queue (and it is cut off with 1008 once that is full).
TEST_F(SessionTest, ATabThatNeverReadsDoesNotStallTheOther) {
    start_test_hub({"--ws-send-queue-bytes", "65536"});
    const auto project = create_project(auth());
    Tab reader(*hub, hub->bearer());
    const auto session_id = start_session(reader, project)["session_id"].get<std::string>();
    Tab stuck(*hub, hub->bearer());
    start_session(stuck, project, session_id);
    // Each scene:updated lists every object so far: ~1 MB of broadcasts in all, more than the
    // stuck tab's socket buffers and its 64 KiB queue hold.
    const std::string padding(600, 'x');
    for (int i = 0; i < 60; ++i) {
        reader.send("command:send",
                    {{"tool", "scene__create_object"}, {"arguments", {{"name", padding + std::to_string(i)}}}});
        const auto result = reader.next("command:result");
        ASSERT_EQ(result["payload"]["ok"], true) << "command " << i << ": " << result.dump();
    }
    EXPECT_EQ(sessions()[0]["state"], "ready");
}

TEST_F(SessionTest, AnOversizedMessageClosesOnlyThatTabWith1009) {
    start_test_hub({"--max-ws-text-bytes", "4096"});
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto session_id = start_session(tab, project)["session_id"].get<std::string>();
    Tab other(*hub, hub->bearer());
    start_session(other, project, session_id);
    tab.send("command:send", {{"tool", "basics__echo"}, {"arguments", {{"text", std::string(8192, 'x')}}}});
    EXPECT_TRUE(tab.next("command:result", std::chrono::seconds(10)).is_null());
    EXPECT_TRUE(tab.client().closed());
    EXPECT_EQ(tab.client().close_code(), 1009);
    // The session and its other tab carry on.
    other.send("command:send", {{"tool", "basics__echo"}, {"arguments", {{"text", "still here"}}}});
    EXPECT_EQ(other.next("command:result")["payload"]["data"]["text"], "still here");
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
