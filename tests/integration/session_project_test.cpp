// SPDX-License-Identifier: Apache-2.0
// Sessions following what happens to their project through REST, and what a re-attaching tab gets.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

json objects_of(Tab& tab) {
    tab.send("command:send", {{"tool", "scene__list_objects"}, {"arguments", json::object()}});
    return tab.next("command:result")["payload"]["data"]["objects"];
}

std::string create_object(Tab& tab, const std::string& name) {
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", name}}}});
    const auto result = tab.next("command:result");
    EXPECT_EQ(result["payload"]["ok"], true) << result.dump();
    return result["payload"].value("version", "");
}

TEST_F(SessionTest, RestoringAVersionReopensItInTheLiveEngine) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    ASSERT_FALSE(start_session(tab, project).is_null());
    const auto first = create_object(tab, "cube");
    create_object(tab, "sphere");
    ASSERT_EQ(objects_of(tab).size(), 2U);
    for (int i = 0; i < 3; ++i) {
        ASSERT_FALSE(tab.next("scene:updated").is_null()); // the engine's first, then the two commands'
    }

    const auto restored =
        http_request(hub->port(), "POST", "/api/projects/" + project + "/versions/" + first + "/restore", auth());
    ASSERT_EQ(restored.status, 201) << restored.body;
    // The engine reopens the restored tree and announces it; its next save keeps the restore.
    const auto scene = tab.next("scene:updated");
    ASSERT_FALSE(scene.is_null()) << hub->log();
    EXPECT_EQ(scene["payload"]["summary"]["objects"].size(), 1U) << scene.dump();
    const auto objects = objects_of(tab);
    ASSERT_EQ(objects.size(), 1U) << objects.dump();
    EXPECT_EQ(objects[0]["name"], "cube");
    create_object(tab, "torus");
    const auto file = http_request(hub->port(), "GET", "/api/projects/" + project + "/files/scene.json", auth());
    EXPECT_EQ(file.body.find("sphere"), std::string::npos) << file.body;
    EXPECT_NE(file.body.find("torus"), std::string::npos) << file.body;
}

TEST_F(SessionTest, AReattachingTabGetsTheLatestSceneAndFrame) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    std::string session_id;
    {
        Tab tab(*hub, hub->bearer());
        session_id = start_session(tab, project)["session_id"];
        create_object(tab, "cube");
    }
    Tab again(*hub, hub->bearer());
    ASSERT_EQ(start_session(again, project, session_id)["resumed"], true);
    const auto scene = again.next("scene:updated");
    ASSERT_FALSE(scene.is_null());
    EXPECT_EQ(scene["payload"]["summary"]["objects"][0]["name"], "cube") << scene.dump();
    (void)again.next("never-sent", std::chrono::seconds(1)); // collects the frame that follows
    ASSERT_FALSE(again.frames.empty()) << "no frame replayed to the re-attached tab";
    EXPECT_EQ(again.frames.front().substr(0, 4), "AVF1");
}

TEST_F(SessionTest, DeletingTheProjectEndsItsSessionAndStopsTheEngine) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    ASSERT_FALSE(start_session(tab, project).is_null());
    const int pid = sessions()[0]["engine_pid"];
    ASSERT_EQ(http_request(hub->port(), "DELETE", "/api/projects/" + project, auth()).status, 204);
    json ended;
    for (int i = 0; i < 10 && ended.is_null(); ++i) {
        const auto status = tab.next("session:status");
        ASSERT_FALSE(status.is_null()) << hub->log();
        if (status["payload"]["state"] == "ended") {
            ended = status;
        }
    }
    EXPECT_EQ(ended["payload"]["detail"], "the project was deleted");
    for (int i = 0; i < 500 && ::kill(pid, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_NE(::kill(pid, 0), 0) << "the engine of a deleted project is still running";
    EXPECT_TRUE(sessions().empty());
}

TEST_F(SessionTest, EndingASessionWithoutChangesAddsNoVersion) {
    start_test_hub();
    const auto project = create_project(auth());
    const auto count = [&] {
        return json::parse(
                   http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).body)["items"]
            .size();
    };
    const auto before = count();
    for (int round = 0; round < 2; ++round) {
        Tab tab(*hub, hub->bearer());
        ASSERT_FALSE(start_session(tab, project).is_null());
        if (round == 1) {
            create_object(tab, "cube"); // one version for the command, none for the end
        }
        tab.send("session:end", json::object());
        ASSERT_FALSE(tab.next("ack").is_null());
        for (int i = 0; i < 500 && !sessions().empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    EXPECT_EQ(count(), before + 1);
}

TEST_F(SessionTest, RendersAreListedWhileLiveAndKeptAfterTheSessionEnds) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    // What an engine's render tool leaves in renders/: a finished file and unfinished ones.
    const auto renders = hub->data_dir() / "sessions" / ready["session_id"].get<std::string>() / "work" / "renders";
    std::filesystem::create_directories(renders);
    std::ofstream(renders / "title card.mp4") << "not really a video";
    std::ofstream(renders / ".partial.mp4") << "x";
    std::ofstream(renders / "next.mp4.part") << "x";

    const std::string base = "/api/projects/" + project + "/renders";
    auto listed = json::parse(http_request(hub->port(), "GET", base, auth()).body)["renders"];
    ASSERT_EQ(listed.size(), 1U) << listed.dump();
    EXPECT_EQ(listed[0]["name"], "title card.mp4");
    EXPECT_EQ(listed[0]["size"], 18);
    EXPECT_EQ(listed[0]["live"], true);
    EXPECT_EQ(listed[0]["url"], base + "/title%20card.mp4");
    auto inline_file = http_request(hub->port(), "GET", base + "/title%20card.mp4", auth());
    EXPECT_EQ(inline_file.status, 200);
    EXPECT_EQ(inline_file.body, "not really a video");
    EXPECT_EQ(inline_file.headers["content-type"], "video/mp4");
    EXPECT_FALSE(inline_file.headers.contains("content-disposition"));

    // The session ends: the render moves to the project's kept renders and is still there.
    tab.send("session:end", json::object());
    ASSERT_FALSE(tab.next("ack").is_null());
    for (int i = 0; i < 600 && !sessions().empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(sessions().empty());
    listed = json::parse(http_request(hub->port(), "GET", base, auth()).body)["renders"];
    ASSERT_EQ(listed.size(), 1U) << listed.dump();
    EXPECT_EQ(listed[0]["live"], false);
    auto download = http_request(hub->port(), "GET", base + "/title%20card.mp4?download=1", auth());
    EXPECT_EQ(download.body, "not really a video");
    EXPECT_NE(download.headers["content-disposition"].find("attachment"), std::string::npos);

    // Bad names, missing renders and other users' projects get clear errors.
    EXPECT_EQ(http_request(hub->port(), "GET", base + "/..", auth()).status, 400);
    EXPECT_EQ(http_request(hub->port(), "GET", base + "/nothing.mp4", auth()).status, 404);
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects/no-such-project/renders", auth()).status, 404);

    // Deleting the project deletes its renders.
    EXPECT_EQ(http_request(hub->port(), "DELETE", "/api/projects/" + project, auth()).status, 204);
    EXPECT_FALSE(std::filesystem::exists(hub->data_dir() / "renders" / project));
}

TEST_F(SessionTest, ACommandCanBeCancelledAndItsProgressNamesIt) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    const auto command =
        tab.send("command:send", {{"tool", "basics__sleep"}, {"arguments", {{"ms", 600000}, {"steps", 1}}}});
    const auto progress = tab.next("render:progress");
    ASSERT_FALSE(progress.is_null()) << json(tab.seen).dump();
    EXPECT_EQ(progress["payload"]["request_id"], command);
    EXPECT_EQ(progress["payload"]["tool"], "basics__sleep");

    // Another tab of the session names its own commands: the same id is not this one.
    Tab other(*hub, hub->bearer());
    ASSERT_FALSE(start_session(other, project, ready["session_id"]).is_null());
    other.send("command:cancel", {{"command", command}});
    EXPECT_EQ(other.next("ack")["payload"]["cancelled"], false);

    const auto cancel = tab.send("command:cancel", {{"command", command}});
    auto ack = tab.next("ack");
    ASSERT_FALSE(ack.is_null());
    EXPECT_EQ(ack["re"], cancel);
    EXPECT_EQ(ack["payload"]["cancelled"], true);
    const auto result = tab.next("command:result");
    ASSERT_FALSE(result.is_null());
    EXPECT_EQ(result["re"], command);
    EXPECT_EQ(result["payload"]["ok"], false);
    EXPECT_EQ(result["payload"]["error"]["code"], "cancelled");

    // Nothing left to cancel: said so, and a missing field is an error.
    tab.send("command:cancel", {{"command", command}});
    EXPECT_EQ(tab.next("ack")["payload"]["cancelled"], false);
    tab.send("command:cancel", json::object());
    EXPECT_EQ(tab.next("error")["payload"]["code"], "invalid_argument");
}

TEST_F(SessionTest, ViewportConfigureSetsTheFrameSize) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    ASSERT_FALSE(start_session(tab, project).is_null());
    const auto id = tab.send("viewport:configure", {{"width", 64}, {"height", 32}});
    const auto ack = tab.next("ack");
    ASSERT_FALSE(ack.is_null()) << json(tab.seen).dump();
    EXPECT_EQ(ack["re"], id);
    EXPECT_EQ(ack["payload"]["width"], 64);
    // Frames from now on have the new size (header bytes 8..11: width, height, little-endian).
    const auto sized = [&tab] {
        return std::any_of(tab.frames.begin(), tab.frames.end(), [](const std::string& frame) {
            return frame.size() > 12 && static_cast<unsigned char>(frame[8]) == 64 &&
                   static_cast<unsigned char>(frame[10]) == 32;
        });
    };
    for (int i = 0; i < 30 && !sized(); ++i) {
        (void)tab.next("(frames only)", std::chrono::seconds(1));
    }
    EXPECT_TRUE(sized());

    tab.send("viewport:configure", {{"width", 5}});
    const auto error = tab.next("error");
    ASSERT_FALSE(error.is_null());
    EXPECT_EQ(error["payload"]["code"], "invalid_argument");
    EXPECT_NE(error["payload"]["message"].get<std::string>().find("16..4096"), std::string::npos);
}

} // namespace
} // namespace atelier::testing
