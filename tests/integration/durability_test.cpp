// SPDX-License-Identifier: Apache-2.0
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub_process.h"
#include "rest_client.h"
#include "store/database.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::testing {
namespace {

/// Every project id the hub lists, following the cursor to the end.
std::set<std::string> all_projects(std::uint16_t port, const std::string& token) {
    std::set<std::string> ids;
    std::string target = "/api/projects?limit=500";
    while (true) {
        const auto page = rest(port, token, "GET", target);
        EXPECT_EQ(page.status, 200) << page.raw;
        if (page.status != 200) {
            return ids;
        }
        for (const auto& item : page.body["items"]) {
            ids.insert(item["id"].get<std::string>());
        }
        if (page.body["next_cursor"].is_null()) {
            return ids;
        }
        target = "/api/projects?limit=500&cursor=" + page.body["next_cursor"].get<std::string>();
    }
}

TEST(Durability, EveryAcknowledgedProjectSurvivesKill9DuringABurstOfWrites) {
    TempDir data;
    auto hub = HubProcess::start({.data_dir = data.path()});
    const std::uint16_t port = hub->port();
    const std::string token = hub->token();

    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int writer = 0; writer < 4; ++writer) {
        writers.emplace_back([&, writer] {
            for (int n = 0; !stop; ++n) {
                const auto reply =
                    rest_json(port, token, "POST", "/api/projects",
                              nlohmann::json{{"name", "burst " + std::to_string(writer) + "-" + std::to_string(n)},
                                             {"kind", "blender"}});
                if (reply.status == 201) {
                    std::lock_guard lock(mutex);
                    acknowledged.push_back(reply.body["id"].get<std::string>());
                }
            }
        });
    }
    // Kill while the writers are mid-burst, not after they finished.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock(mutex);
            if (acknowledged.size() >= 30) {
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(hub->stop(SIGKILL, std::chrono::seconds(10)).has_value());
    stop = true;
    for (auto& writer : writers) {
        writer.join();
    }
    ASSERT_GE(acknowledged.size(), 30U);

    auto restarted = HubProcess::start({.data_dir = data.path()});
    EXPECT_EQ(restarted->token(), token);
    const auto listed = all_projects(restarted->port(), token);
    for (const auto& id : acknowledged) {
        EXPECT_TRUE(listed.contains(id)) << "acknowledged project " << id << " is gone";
        const auto versions = rest(restarted->port(), token, "GET", "/api/projects/" + id + "/versions");
        EXPECT_EQ(versions.body["items"].size(), 1U) << id << ": " << versions.raw;
    }
    // Writes keep working on the recovered database.
    EXPECT_FALSE(create_project(restarted->port(), token, "after the crash").empty());
    EXPECT_EQ(restarted->stop(SIGTERM, std::chrono::seconds(20)), 0);

    // The database itself opens cleanly and passes SQLite's own consistency check.
    auto store = store::open_sqlite_store(data.path());
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_TRUE((*store)->ping());
    auto database = store::open_sqlite_database(data.path() / "atelier.db");
    ASSERT_TRUE(database);
    const auto check = (*database)->query("PRAGMA integrity_check", {});
    ASSERT_TRUE(check && !check->empty());
    EXPECT_EQ(check->front().text(0), "ok");
    const store::ProjectRepos repos(data.path());
    for (const auto& id : acknowledged) {
        auto repo = repos.open(id);
        ASSERT_TRUE(repo) << id;
        EXPECT_TRUE(repo->resolve("HEAD")) << id;
    }
}

} // namespace
} // namespace atelier::testing
