// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): engines that misbehave, against the real hub. The
// test engine's --fault modes answer tool calls with garbage, flood the hub with messages and
// frames, or never answer project/save. In each case the command ends with a clear result, the
// hub keeps answering other clients, and it still shuts down cleanly.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

class FaultEngine : public SessionTest {
protected:
    void start_faulty_hub(const std::string& fault, std::vector<std::string> extra = {}) {
        start_hub("[\"" + test_engine_binary() + "\", \"--fault\", \"" + fault + "\"]", std::move(extra));
    }

    /// The hub still answers a second client: health and a read of the projects.
    void expect_serving() {
        EXPECT_EQ(http_request(hub->port(), "GET", "/api/health").status, 200);
        EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects", auth()).status, 200);
    }

    /// SIGTERM ends the hub with exit code 0 (nothing hung, nothing crashed).
    void expect_clean_shutdown() {
        const auto code = hub->stop(SIGTERM, std::chrono::seconds(120));
        ASSERT_TRUE(code.has_value()) << "the hub did not exit after SIGTERM\n" << hub->log();
        EXPECT_EQ(*code, 0) << hub->log();
    }
};

// The hub answers each malformed frame with a JSON-RPC error and, past its protocol-error limit,
// disconnects the engine: the call ends (engine_lost, or a timeout), the session relaunches its
// engine, and other clients never notice.
TEST_F(FaultEngine, AnEngineAnsweringGarbageFailsTheCallAndTheHubKeepsServing) {
    start_faulty_hub("garbage", {"--engine-call-timeout", "2"});
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());

    tab.send("command:send", {{"tool", "basics__echo"}, {"arguments", {{"text", "hi"}}}});
    const auto result = tab.next("command:result", std::chrono::seconds(120));
    ASSERT_FALSE(result.is_null()) << json(tab.seen).dump() << hub->log();
    EXPECT_FALSE(result["payload"]["ok"].get<bool>()) << result.dump();
    EXPECT_FALSE(result["payload"]["error"]["message"].get<std::string>().empty()) << result.dump();
    expect_serving();
    // Another project's session gets an engine of its own.
    const std::string other = create_project(auth());
    Tab second(*hub);
    ASSERT_FALSE(start_session(second, other).is_null());
    expect_serving();
    expect_clean_shutdown();
}

TEST_F(FaultEngine, AnEngineFloodingMessagesAndFramesStillGetsItsCallAnswered) {
    start_faulty_hub("flood");
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());

    tab.send("command:send", {{"tool", "basics__echo"}, {"arguments", {{"text", "after the flood"}}}});
    expect_serving();
    const auto result = tab.next("command:result", std::chrono::seconds(120));
    ASSERT_FALSE(result.is_null()) << hub->log();
    EXPECT_TRUE(result["payload"]["ok"].get<bool>()) << result.dump();
    expect_serving();
    // A second tab joins the flooded session and is served too.
    Tab second(*hub);
    ASSERT_FALSE(start_session(second, project).is_null());
    expect_clean_shutdown();
}

TEST_F(FaultEngine, AnEngineThatNeverAnswersSaveGetsASaveErrorAndNoVersion) {
    start_faulty_hub("no-save");
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    ASSERT_FALSE(tab.next("scene:updated").is_null()) << "the engine reports the scene it starts with";
    const auto versions_before =
        json::parse(http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).body)["items"]
            .size();

    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "cube"}}}});
    // The object exists: the hub now waits for project/save, which never comes. Reads go on.
    ASSERT_FALSE(tab.next("scene:updated", std::chrono::seconds(60)).is_null()) << json(tab.seen).dump();
    expect_serving();
    const auto result = tab.next("command:result", std::chrono::seconds(180));
    ASSERT_FALSE(result.is_null()) << hub->log();
    EXPECT_TRUE(result["payload"].contains("save_error")) << result.dump();
    EXPECT_FALSE(result["payload"].contains("version")) << result.dump();
    const auto versions_after =
        json::parse(http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).body)["items"]
            .size();
    EXPECT_EQ(versions_after, versions_before);
    expect_clean_shutdown();
}

// SIGSTOP mid-call: the engine is alive but silent. The call times out with a clear error, the
// hub keeps serving, and the engine resumed afterwards does not confuse it.
TEST_F(FaultEngine, AStoppedEngineTimesTheCallOut) {
    start_test_hub({"--engine-call-timeout", "2"});
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    ASSERT_FALSE(tab.next("scene:updated").is_null()) << "the engine reports the scene it starts with";
    const int pid = sessions()[0]["engine_pid"];
    ASSERT_GT(pid, 0);

    tab.send("command:send", {{"tool", "basics__sleep"}, {"arguments", {{"ms", 600000}, {"steps", 1}}}});
    ASSERT_FALSE(tab.next("render:progress").is_null()) << json(tab.seen).dump();
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const auto result = tab.next("command:result", std::chrono::seconds(120));
    ::kill(pid, SIGCONT);
    ASSERT_FALSE(result.is_null()) << hub->log();
    EXPECT_FALSE(result["payload"]["ok"].get<bool>()) << result.dump();
    EXPECT_FALSE(result["payload"]["error"]["message"].get<std::string>().empty()) << result.dump();
    expect_serving();
    expect_clean_shutdown();
}

// SIGKILL mid-save (a 64 MB scene.blend being written): the command reports the failure, and what
// the tab is told matches the versions the hub lists.
TEST_F(FaultEngine, AnEngineKilledMidSaveLeavesToldAndListedVersionsInAgreement) {
    start_hub("[\"" + test_engine_binary() + "\", \"--save-bytes\", \"67108864\"]");
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    ASSERT_FALSE(tab.next("scene:updated").is_null()) << "the engine reports the scene it starts with";
    const int pid = sessions()[0]["engine_pid"];
    ASSERT_GT(pid, 0);
    const auto versions = [&] {
        return json::parse(
            http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).body)["items"];
    };
    const auto before = versions().size();

    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "cube"}}}});
    ASSERT_FALSE(tab.next("scene:updated", std::chrono::seconds(60)).is_null()) << json(tab.seen).dump();
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    const auto result = tab.next("command:result", std::chrono::seconds(120));
    ASSERT_FALSE(result.is_null()) << hub->log();
    const auto after = versions();
    if (result["payload"].contains("version")) {
        // The save finished before the kill: the version told is the one listed.
        ASSERT_EQ(after.size(), before + 1) << result.dump();
        EXPECT_EQ(after[0]["rev"], result["payload"]["version"]);
    } else {
        EXPECT_TRUE(result["payload"].contains("save_error") || !result["payload"]["ok"].get<bool>()) << result.dump();
        EXPECT_EQ(after.size(), before) << result.dump();
    }
    expect_serving();
    expect_clean_shutdown();
}

} // namespace
} // namespace atelier::testing
