// SPDX-License-Identifier: Apache-2.0
// One live session per project (DESIGN §5): every tab joins it, commits are made against the
// version the engine holds, and whoever is attached is listed.

#include <signal.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

json create_object(Tab& tab, const std::string& name) {
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", name}}}});
    const auto result = tab.next("command:result");
    EXPECT_EQ(result["payload"]["ok"], true) << result.dump();
    return result["payload"];
}

std::string file_at(const HubProcess& hub, const std::map<std::string, std::string>& auth, const std::string& project,
                    const std::string& rev = {}) {
    const auto response = http_request(
        hub.port(), "GET", "/api/projects/" + project + "/files/scene.json" + (rev.empty() ? "" : "?rev=" + rev), auth);
    EXPECT_EQ(response.status, 200) << response.body;
    return response.body;
}

TEST_F(SessionTest, ASecondTabOnAProjectJoinsItsSessionAndEngine) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab first(*hub);
    const auto ready = start_session(first, project);
    ASSERT_FALSE(ready.is_null());
    const int pid = sessions()[0]["engine_pid"];

    Tab second(*hub); // no session id: a new tab knows only the project
    const auto joined = start_session(second, project);
    ASSERT_FALSE(joined.is_null());
    EXPECT_EQ(joined["session_id"], ready["session_id"]);
    EXPECT_EQ(joined["resumed"], true);
    ASSERT_EQ(sessions().size(), 1U);
    EXPECT_EQ(sessions()[0]["engine_pid"], pid);
    EXPECT_EQ(sessions()[0]["clients"].size(), 2U) << sessions().dump();
}

TEST_F(SessionTest, EveryTabsChangeIsInTheNewestVersion) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab a(*hub);
    Tab b(*hub);
    ASSERT_FALSE(start_session(a, project).is_null());
    ASSERT_FALSE(start_session(b, project).is_null());
    create_object(b, "monkey");
    const auto last = create_object(a, "cone");
    const std::string newest = file_at(*hub, auth(), project);
    EXPECT_NE(newest.find("monkey"), std::string::npos) << newest;
    EXPECT_NE(newest.find("cone"), std::string::npos) << newest;
    // Each tab saw the other's command, and who made each version.
    const auto activity = a.next("command:activity");
    ASSERT_FALSE(activity.is_null());
    EXPECT_EQ(activity["payload"]["tool"], "scene__create_object");
    EXPECT_EQ(activity["payload"]["by"]["kind"], "tab");
    EXPECT_EQ(last["by"]["kind"], "tab");
    const auto versions = http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth());
    EXPECT_NE(versions.body.find("create_object name=cone"), std::string::npos) << versions.body;
}

TEST_F(SessionTest, ReopeningAProjectWithinTheGraceJoinsTheSameEngine) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    std::string session_id;
    int pid = 0;
    {
        Tab tab(*hub);
        session_id = start_session(tab, project)["session_id"];
        pid = sessions()[0]["engine_pid"];
    }
    Tab again(*hub); // a new tab: no session id from the old one
    const auto ready = start_session(again, project);
    EXPECT_EQ(ready["session_id"], session_id);
    EXPECT_EQ(sessions().size(), 1U);
    EXPECT_EQ(sessions()[0]["engine_pid"], pid);
}

TEST_F(SessionTest, TwentyConcurrentStartsMakeOneSessionAndOneEngine) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    std::vector<std::unique_ptr<Tab>> tabs;
    for (int i = 0; i < 20; ++i) {
        tabs.push_back(std::make_unique<Tab>(*hub));
    }
    for (auto& tab : tabs) {
        tab->send("session:start", {{"project_id", project}});
    }
    std::set<std::string> ids;
    for (auto& tab : tabs) {
        const auto ready = tab->next("session:ready");
        ASSERT_FALSE(ready.is_null()) << json(tab->seen).dump() << hub->log();
        ids.insert(ready["payload"]["session_id"].get<std::string>());
    }
    EXPECT_EQ(ids.size(), 1U);
    ASSERT_EQ(sessions().size(), 1U);
    EXPECT_EQ(sessions()[0]["clients"].size(), 20U);
    const std::string log = hub->log();
    std::size_t launches = 0;
    for (auto at = log.find("launching the engine"); at != std::string::npos;
         at = log.find("launching the engine", at + 1)) {
        ++launches;
    }
    EXPECT_LE(launches, 1U) << log;
}

TEST_F(SessionTest, PresenceListsTheClientsAsTheyComeAndGo) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab a(*hub);
    ASSERT_FALSE(start_session(a, project).is_null());
    json presence;
    {
        Tab b(*hub);
        const auto ready = start_session(b, project);
        EXPECT_EQ(ready["clients"].size(), 2U) << ready.dump();
        for (presence = a.next("session:presence"); !presence.is_null() && presence["payload"]["clients"].size() != 2;
             presence = a.next("session:presence")) {
        }
        ASSERT_FALSE(presence.is_null()) << json(a.seen).dump();
        EXPECT_EQ(presence["payload"]["clients"][0]["kind"], "tab");
        EXPECT_EQ(presence["payload"]["agent"]["running"], false);
    }
    for (presence = a.next("session:presence"); !presence.is_null() && presence["payload"]["clients"].size() != 1;
         presence = a.next("session:presence")) {
    }
    ASSERT_FALSE(presence.is_null()) << "the tab that left is still listed: " << json(a.seen).dump();
}

TEST_F(SessionTest, ACommandMadeOnAVersionThatWasRestoredAwayIsAConflictAndKept) {
    start_test_hub({"--session-grace", "30"});
    const auto project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    const std::string first = create_object(tab, "a")["version"];
    create_object(tab, "b");

    // A slow change holds the session's turn; the next one waits behind it.
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "slow"}, {"delay_ms", 3000}}}});
    ASSERT_FALSE(tab.next("render:progress").is_null());
    const auto waiting =
        tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "late"}}}});
    // Envelopes of one tab are handled in order: once this is answered, the command is queued.
    tab.send("command:cancel", {{"command", "not-a-command"}});
    ASSERT_FALSE(tab.next("ack").is_null());
    // Meanwhile someone restores the first version.
    const auto restored =
        http_request(hub->port(), "POST", "/api/projects/" + project + "/versions/" + first + "/restore", auth());
    ASSERT_EQ(restored.status, 201) << restored.body;

    json late;
    for (auto result = tab.next("command:result"); !result.is_null(); result = tab.next("command:result")) {
        if (result["re"] == waiting) {
            late = result;
            break;
        }
    }
    ASSERT_FALSE(late.is_null()) << hub->log();
    EXPECT_EQ(late["payload"]["ok"], true) << late.dump();                    // the tool ran…
    EXPECT_EQ(late["payload"]["save_error_code"], "conflict") << late.dump(); // …on a version restored away
    // The slow change was made on the restored-away version too: each refused change is kept.
    json conflict;
    for (auto seen = tab.next("version:conflict"); !seen.is_null(); seen = tab.next("version:conflict")) {
        if (seen["payload"]["message"].get<std::string>().find("late") != std::string::npos) {
            conflict = seen;
            break;
        }
    }
    ASSERT_FALSE(conflict.is_null()) << hub->log();
    const std::string kept = conflict["payload"]["kept"];

    // The restore stands, and the refused change is kept where it can be restored from.
    const std::string newest = file_at(*hub, auth(), project);
    EXPECT_EQ(newest.find("late"), std::string::npos) << newest;
    EXPECT_EQ(newest.find("\"b\""), std::string::npos) << newest;
    EXPECT_EQ(newest.find("slow"), std::string::npos) << newest;
    EXPECT_NE(newest.find("\"a\""), std::string::npos) << newest;
    EXPECT_NE(file_at(*hub, auth(), project, kept).find("late"), std::string::npos);
    // The engine reloaded the current version: its next change keeps the restore.
    create_object(tab, "after");
    const std::string after = file_at(*hub, auth(), project);
    EXPECT_EQ(after.find("late"), std::string::npos) << after;
    EXPECT_NE(after.find("after"), std::string::npos) << after;
    const auto back =
        http_request(hub->port(), "POST", "/api/projects/" + project + "/versions/" + kept + "/restore", auth());
    EXPECT_EQ(back.status, 201) << back.body;
    EXPECT_NE(file_at(*hub, auth(), project).find("late"), std::string::npos);
}

// Grace expiry after a change: the last tab closes while its command still runs; the command
// finishes, is saved and committed, and only then does the session end. The next session of the
// project opens with the change (DESIGN §5: nothing acknowledged or asked for is lost).
TEST_F(SessionTest, ACommandStillRunningWhenTheLastTabClosesIsCommittedBeforeTheGraceEnds) {
    start_test_hub({"--session-grace", "0.2"});
    const auto project = create_project(auth());
    {
        Tab tab(*hub);
        ASSERT_FALSE(start_session(tab, project).is_null()) << hub->log();
        tab.send("command:send",
                 {{"tool", "scene__create_object"}, {"arguments", {{"name", "late"}, {"delay_ms", 1000}}}});
        // The tab closes at once: the command is still on the engine, the grace (0.2 s) is shorter.
    }
    json live = sessions();
    for (int i = 0; i < 500 && !live.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        live = sessions();
    }
    ASSERT_TRUE(live.empty()) << live.dump() << hub->log();
    const auto versions = http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth());
    EXPECT_NE(versions.body.find("create_object delay_ms=1000 name=late"), std::string::npos)
        << versions.body << hub->log();

    Tab again(*hub);
    ASSERT_FALSE(start_session(again, project).is_null()) << hub->log();
    again.send("command:send", {{"tool", "scene__list_objects"}, {"arguments", json::object()}});
    const auto listed = again.next("command:result");
    ASSERT_FALSE(listed.is_null());
    EXPECT_NE(listed.dump().find("late"), std::string::npos) << listed.dump();
}

} // namespace
} // namespace atelier::testing
