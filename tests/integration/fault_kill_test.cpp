// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): kill -9 the real hub in the middle of version writes
// — REST restores of a project with 4 MB files, and session commits of a 16 MB scene.blend saved
// by the test engine — then restart it on the same data dir. Every version a client was told about
// must be listed with its files intact, and `git fsck --full --strict` must pass on the repository.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "fault_support.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

constexpr std::size_t kFileBytes = 4 << 20;

TEST(FaultKill, EveryAcknowledgedRestoreSurvivesKill9AndTheRepositoryPassesFsck) {
    TempDir data;
    auto hub = HubProcess::start({.data_dir = data.path()});
    const std::string project = create_project(hub->port(), hub->token(), "kill during restores");
    ASSERT_FALSE(project.empty());
    const std::map<std::string, std::string> contents[2] = {
        {{"scene.blend", random_bytes(kFileBytes, 1)}, {"notes.txt", "one"}},
        {{"scene.blend", random_bytes(kFileBytes, 2)}, {"notes.txt", "two"}},
    };
    const std::string sources[2] = {commit_version(data.path(), project, contents[0], "one"),
                                    commit_version(data.path(), project, contents[1], "two")};

    // Two clients restore the two versions in turn; a 201 is an acknowledged version.
    std::mutex mutex;
    std::condition_variable acknowledged_changed;
    std::vector<std::pair<std::string, int>> acknowledged; // rev, which content it has
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    const std::uint16_t port = hub->port();
    const std::string token = hub->token();
    for (int client = 0; client < 2; ++client) {
        clients.emplace_back([&, client] {
            for (int n = 0; !stop; ++n) {
                const int which = (n + client) % 2;
                const auto reply =
                    rest(port, token, "POST", "/api/projects/" + project + "/versions/" + sources[which] + "/restore");
                if (reply.status == 201) {
                    std::lock_guard lock(mutex);
                    acknowledged.emplace_back(reply.body["rev"].get<std::string>(), which);
                    acknowledged_changed.notify_all();
                }
            }
        });
    }
    {
        // Kill mid-burst: as soon as the eighth restore is acknowledged.
        std::unique_lock lock(mutex);
        acknowledged_changed.wait_until(lock, std::chrono::steady_clock::now() + std::chrono::seconds(120),
                                        [&] { return acknowledged.size() >= 8; });
    }
    EXPECT_TRUE(hub->stop(SIGKILL, std::chrono::seconds(10)).has_value());
    stop = true;
    for (auto& client : clients) {
        client.join();
    }
    ASSERT_GE(acknowledged.size(), 8U) << "the restores were too slow to be interrupted mid-burst";

    const auto check = fsck(data.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    auto restarted = HubProcess::start({.data_dir = data.path()});
    const auto listed = listed_versions(restarted->port(), restarted->token(), project);
    for (const auto& [rev, which] : acknowledged) {
        EXPECT_TRUE(listed.contains(rev)) << "acknowledged version " << rev << " is missing after kill -9";
        for (const auto& [path, content] : contents[which]) {
            const auto file = rest(restarted->port(), restarted->token(), "GET",
                                   "/api/projects/" + project + "/files/" + path + "?rev=" + rev);
            EXPECT_EQ(file.status, 200) << rev << " " << path;
            EXPECT_TRUE(file.raw == content) << rev << " " << path << ": " << file.raw.size() << " bytes";
        }
    }
    const auto current = rest(restarted->port(), restarted->token(), "GET", "/api/projects/" + project);
    EXPECT_TRUE(listed.contains(current.body["current_version"].get<std::string>())) << current.raw;
    // Writes still work after the restart.
    const auto again = rest(restarted->port(), restarted->token(), "POST",
                            "/api/projects/" + project + "/versions/" + sources[0] + "/restore");
    EXPECT_EQ(again.status, 201) << again.raw;
}

class FaultKillSession : public SessionTest {};

TEST_F(FaultKillSession, EveryAcknowledgedCommitOfALargeSceneSurvivesKill9) {
    constexpr std::int64_t kSceneBytes = 16 << 20;
    TempDir data;
    const auto file = write_fault_config(config_dir.path(), {"--save-bytes", std::to_string(kSceneBytes)});
    hub = HubProcess::start({.args = {"--config", file.string()}, .data_dir = data.path()});
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());

    // Each command mutates the scene, so the hub saves (16 MB scene.blend) and commits; the
    // command's result names the version. Kill right after sending the next command.
    std::vector<std::string> acknowledged;
    for (int n = 0; n < 3; ++n) {
        tab.send("command:send",
                 {{"tool", "scene__create_object"}, {"arguments", {{"name", "o" + std::to_string(n)}}}});
        const auto result = tab.next("command:result", std::chrono::seconds(120));
        ASSERT_FALSE(result.is_null()) << hub->log();
        ASSERT_TRUE(result["payload"].contains("version")) << result.dump();
        acknowledged.push_back(result["payload"]["version"]);
    }
    while (!tab.next("scene:updated", std::chrono::seconds(0)).is_null()) {
    }
    // The scene update of the next command means the engine did the work: the hub's save and commit
    // of it are under way when the kill lands.
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "in flight"}}}});
    ASSERT_FALSE(tab.next("scene:updated", std::chrono::seconds(60)).is_null()) << json(tab.seen).dump();
    EXPECT_TRUE(hub->stop(SIGKILL, std::chrono::seconds(10)).has_value());

    const auto check = fsck(data.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    hub = HubProcess::start({.args = {"--config", file.string()}, .data_dir = data.path()});
    const auto listed = listed_versions(hub->port(), hub->token(), project);
    for (const auto& rev : acknowledged) {
        EXPECT_TRUE(listed.contains(rev)) << "acknowledged version " << rev << " is missing after kill -9";
        const auto scene =
            rest(hub->port(), hub->token(), "GET", "/api/projects/" + project + "/files/scene.blend?rev=" + rev);
        EXPECT_EQ(scene.status, 200);
        EXPECT_EQ(scene.raw.size(), static_cast<std::size_t>(kSceneBytes)) << rev;
    }
}

// kill -9 while the model is streaming a turn: the user's message was acknowledged (agent:turn is
// published once it is stored), so after the restart it is in the transcript exactly once, and
// the conversation goes on.
TEST(FaultKillAgent, AnAcknowledgedMessageSurvivesKill9MidTurn) {
    std::string error;
    auto model = FakeModelServer::start(&error);
    ASSERT_NE(model, nullptr) << error;
    TempDir data;
    TempDir config;
    const auto file = write_fault_config(config.path(), {}, model->base_url());
    const HubProcess::Options options{.args = {"--config", file.string(), "--session-grace", "1"},
                                      .data_dir = data.path()};
    auto hub = HubProcess::start(options);
    const auto created = http_request(hub->port(), "POST", "/api/projects", {{"Authorization", hub->bearer()}},
                                      json{{"name", "kill mid-turn"}, {"kind", "test"}}.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string project = json::parse(created.body)["id"];
    {
        Tab tab(*hub);
        tab.send("session:start", {{"project_id", project}});
        ASSERT_FALSE(tab.next("session:ready").is_null()) << json(tab.seen).dump();
        ASSERT_TRUE(model->script({{"replies", {{{"text", "Let me think about"}, {"stall_ms", 60'000}}}}}));
        tab.send("message:send", {{"text", "remember the blue cube"}});
        ASSERT_FALSE(tab.next("agent:turn").is_null()) << json(tab.seen).dump();
        ASSERT_FALSE(tab.next("agent:message").is_null()) << json(tab.seen).dump();
        EXPECT_TRUE(hub->stop(SIGKILL, std::chrono::seconds(10)).has_value());
    }

    hub = HubProcess::start(options);
    const auto messages = [&] {
        const auto page = http_request(hub->port(), "GET", "/api/projects/" + project + "/messages?limit=100",
                                       {{"Authorization", hub->bearer()}});
        EXPECT_EQ(page.status, 200) << page.body;
        std::vector<std::string> users;
        const auto transcript = json::parse(page.body);
        for (const auto& message : transcript["items"]) {
            if (message["role"] == "user") {
                users.push_back(message["content"]);
            }
        }
        return users;
    };
    EXPECT_EQ(messages(), std::vector<std::string>{"remember the blue cube"});
    Tab tab(*hub);
    tab.send("session:start", {{"project_id", project}});
    ASSERT_FALSE(tab.next("session:ready").is_null()) << json(tab.seen).dump() << hub->log();
    ASSERT_TRUE(model->script({{"replies", {{{"text", "It is blue."}}}}}));
    tab.send("message:send", {{"text", "what colour was it"}});
    const auto complete = tab.next("agent:complete");
    ASSERT_FALSE(complete.is_null()) << json(tab.seen).dump() << hub->log();
    EXPECT_EQ(complete["payload"]["ok"], true) << complete.dump();
    EXPECT_EQ(messages(), (std::vector<std::string>{"remember the blue cube", "what colour was it"}));
}

} // namespace
} // namespace atelier::testing
