// SPDX-License-Identifier: Apache-2.0
// What the studio shows about a session's past (issue 19): a picture of the viewport per version
// (GET /api/projects/{id}/versions/{rev}/thumbnail) and the recent commands in session:ready.
// The real binary with the test engine, which sends a frame after every change whose colour
// depends on the number of objects.

#include <signal.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

class SessionStudioTest : public SessionTest {
protected:
    /// Runs `tool` on `tab` and waits for its result.
    json run(Tab& tab, const std::string& tool, const json& arguments) {
        const auto id = tab.send("command:send", {{"tool", tool}, {"arguments", arguments}});
        auto result = tab.next("command:result");
        EXPECT_FALSE(result.is_null()) << hub->log();
        EXPECT_EQ(result.value("re", ""), id);
        return result.is_null() ? json() : result["payload"];
    }

    HttpResult get(const std::string& target) { return http_request(hub->port(), "GET", target, auth()); }
};

TEST_F(SessionStudioTest, EachVersionKeepsTheViewportFrameOfTheMomentItWasMade) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());

    const auto first = run(tab, "scene__create_object", {{"name", "a"}});
    ASSERT_EQ(first.value("ok", false), true) << first.dump();
    ASSERT_FALSE(tab.frames.empty());
    const std::string first_frame = tab.frames.back().substr(16); // the frame after the change, its header off
    const auto second = run(tab, "scene__create_object", {{"name", "b"}});
    ASSERT_EQ(second.value("ok", false), true) << second.dump();
    const std::string second_frame = tab.frames.back().substr(16);
    ASSERT_NE(first_frame, second_frame); // two objects draw another colour than one

    const std::string base = "/api/projects/" + project;
    const auto first_picture = get(base + "/versions/" + first["version"].get<std::string>() + "/thumbnail");
    ASSERT_EQ(first_picture.status, 200) << first_picture.body << hub->log();
    EXPECT_EQ(first_picture.headers.at("content-type"), "image/png"); // the test engine's frames are PNG
    EXPECT_EQ(first_picture.body, first_frame);
    // A short revision finds it too.
    const auto second_picture =
        get(base + "/versions/" + second["version"].get<std::string>().substr(0, 10) + "/thumbnail");
    ASSERT_EQ(second_picture.status, 200) << second_picture.body;
    EXPECT_EQ(second_picture.body, second_frame);
    // The project's newest picture is the newest version's.
    const auto newest = get(base + "/thumbnail");
    ASSERT_EQ(newest.status, 200) << newest.body;
    EXPECT_EQ(newest.body, second_frame);
    // The list names both versions, newest first ("Create project" has no picture).
    const auto listed = json::parse(get(base + "/thumbnails").body);
    ASSERT_EQ(listed["items"].size(), 2U) << listed.dump();
    EXPECT_EQ(listed["items"][0]["rev"], second["version"]);
    EXPECT_EQ(listed["items"][1]["rev"], first["version"]);
    EXPECT_EQ(listed["newest"], base + "/versions/" + second["version"].get<std::string>() + "/thumbnail");
}

// Pictures live beside the renders (<renders-dir>/.thumbnails); a hub's pictures from before, in
// <data-dir>/thumbnails, are moved there when it starts.
TEST_F(SessionStudioTest, PicturesFromBeforeAreMovedBesideTheRendersAndStillServed) {
    TempDir data;
    const auto file = config_dir.path() / "atelier.toml";
    std::ofstream(file) << "[engines.test]\ncommand = [\"" << test_engine_binary() << "\"]\n";
    const HubProcess::Options options{.args = {"--config", file.string()}, .data_dir = data.path()};
    hub = HubProcess::start(options);
    const auto project = create_project(auth());
    const auto versions = json::parse(get("/api/projects/" + project + "/versions").body);
    const std::string rev = versions["items"][0]["rev"];
    ASSERT_EQ(hub->stop(SIGTERM, std::chrono::seconds(30)), 0);

    const auto old_dir = data.path() / "thumbnails" / project;
    std::filesystem::create_directories(old_dir);
    std::ofstream(old_dir / (rev + ".png"), std::ios::binary) << "\x89PNG picture of before";
    hub = HubProcess::start(options);
    const auto picture = get("/api/projects/" + project + "/versions/" + rev + "/thumbnail");
    EXPECT_EQ(picture.status, 200) << picture.body << hub->log();
    EXPECT_EQ(picture.body, "\x89PNG picture of before");
    EXPECT_TRUE(std::filesystem::exists(data.path() / "renders" / ".thumbnails" / project / (rev + ".png")));
    EXPECT_FALSE(std::filesystem::exists(data.path() / "thumbnails"));
}

TEST_F(SessionStudioTest, AVersionMadeWithoutTheViewportHasNoPictureAndSaysSo) {
    start_test_hub();
    const auto project = create_project(auth());
    const auto versions = json::parse(get("/api/projects/" + project + "/versions").body);
    ASSERT_EQ(versions["items"].size(), 1U); // "Create project": no session, no frame
    const auto reply =
        get("/api/projects/" + project + "/versions/" + versions["items"][0]["rev"].get<std::string>() + "/thumbnail");
    EXPECT_EQ(reply.status, 404) << reply.body;
    EXPECT_NE(reply.body.find("has no picture"), std::string::npos) << reply.body;
    EXPECT_EQ(get("/api/projects/" + project + "/thumbnail").status, 404);
    EXPECT_EQ(json::parse(get("/api/projects/" + project + "/thumbnails").body),
              (json{{"items", json::array()}, {"newest", nullptr}}));
    EXPECT_EQ(get("/api/projects/" + project + "/versions/not-hex/thumbnail").status, 400);
}

TEST_F(SessionStudioTest, PicturesOfADeletedProjectAreRemovedAndAnotherUsersAreNotFound) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    const auto made = run(tab, "scene__create_object", {{"name", "a"}});
    ASSERT_EQ(made.value("ok", false), true) << made.dump();
    const auto pictures = hub->data_dir() / "renders" / ".thumbnails" / project;
    ASSERT_TRUE(std::filesystem::is_directory(pictures));
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects/" + project + "/thumbnail", {}).status, 401);
    const auto token =
        http_request(hub->port(), "POST", "/api/tokens", auth(), json{{"user", "alice"}, {"label", "other"}}.dump());
    ASSERT_EQ(token.status, 201) << token.body;
    const std::map<std::string, std::string> alice{
        {"Authorization", "Bearer " + json::parse(token.body)["token"].get<std::string>()}};
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects/" + project + "/thumbnail", alice).status, 404);
    EXPECT_EQ(http_request(
                  hub->port(), "GET",
                  "/api/projects/" + project + "/versions/" + made["version"].get<std::string>() + "/thumbnail", alice)
                  .status,
              404);

    EXPECT_EQ(http_request(hub->port(), "DELETE", "/api/projects/" + project, auth()).status, 204);
    EXPECT_FALSE(std::filesystem::exists(pictures));
    EXPECT_EQ(get("/api/projects/" + project + "/thumbnail").status, 404);
}

TEST_F(SessionStudioTest, ATabThatJoinsOrReloadsIsToldTheSessionsRecentCommandsNewestFirst) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab first(*hub);
    const auto session_id = start_session(first, project)["session_id"].get<std::string>();
    const auto made_id =
        first.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "cube"}}}});
    ASSERT_FALSE(first.next("command:result").is_null());
    const auto failed_id = first.send("command:send", {{"tool", "basics__fail"}, {"arguments", {{"message", "nope"}}}});
    ASSERT_FALSE(first.next("command:result").is_null());

    Tab reloaded(*hub); // the same user's tab after a reload: a new connection
    const auto ready = start_session(reloaded, project, session_id);
    const auto& activity = ready["activity"];
    ASSERT_EQ(activity.size(), 2U) << ready.dump();
    EXPECT_EQ(activity[0]["id"], failed_id);
    EXPECT_EQ(activity[0]["tool"], "basics__fail");
    EXPECT_EQ(activity[0]["ok"], false);
    EXPECT_NE(activity[0]["error"]["message"].get<std::string>().find("nope"), std::string::npos) << activity.dump();
    EXPECT_EQ(activity[1]["id"], made_id);
    EXPECT_EQ(activity[1]["label"], "create_object name=cube");
    EXPECT_EQ(activity[1]["ok"], true);
    EXPECT_EQ(activity[1]["version"].get<std::string>().size(), 40U);
    EXPECT_FALSE(activity[1]["at"].get<std::string>().empty());
    EXPECT_EQ(activity[1]["by"]["kind"], "tab") << activity.dump();
}

TEST_F(SessionStudioTest, AQuietCommandIsLeftOutOfTheRecentCommands) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab first(*hub);
    const auto session_id = start_session(first, project)["session_id"].get<std::string>();
    EXPECT_EQ(run(first, "basics__echo", {{"text", "listed"}}).value("ok", false), true);
    first.send("command:send",
               {{"tool", "basics__echo"}, {"arguments", {{"text", "a panel's own call"}}}, {"quiet", true}});
    const auto quiet = first.next("command:result");
    ASSERT_EQ(quiet["payload"].value("ok", false), true) << quiet.dump();
    Tab second(*hub);
    const auto activity = start_session(second, project, session_id)["activity"];
    ASSERT_EQ(activity.size(), 1U) << activity.dump();
    EXPECT_EQ(activity[0]["text"], "listed");
}

TEST_F(SessionStudioTest, TheRecentCommandsKeepOnlyTheNewestTwenty) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab first(*hub);
    const auto session_id = start_session(first, project)["session_id"].get<std::string>();
    for (int i = 0; i < 23; ++i) {
        const auto result = run(first, "basics__echo", {{"text", "echo " + std::to_string(i)}});
        ASSERT_EQ(result.value("ok", false), true) << result.dump();
    }
    Tab second(*hub);
    const auto activity = start_session(second, project, session_id)["activity"];
    ASSERT_EQ(activity.size(), 20U);
    EXPECT_EQ(activity[0]["text"], "echo 22");
    EXPECT_EQ(activity[19]["text"], "echo 3");
}

} // namespace
} // namespace atelier::testing
