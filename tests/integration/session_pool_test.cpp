// SPDX-License-Identifier: Apache-2.0
// Sessions with a warm pool of engines and with sandboxed engines (issue #5).

#include "atelier/source_dir.h"
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

class SessionPoolTest : public SessionTest {
protected:
    json pool() {
        return json::parse(http_request(hub->port(), "GET", "/api/engines/pool", auth()).body)["kinds"]["test"];
    }

    /// Waits until the pool of the `test` kind has `idle` idle engines; false after 60 s.
    bool wait_idle(int idle) {
        for (int i = 0; i < 3000; ++i) {
            if (pool().value("idle", -1) == idle) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    std::set<std::string> engine_ids() {
        std::set<std::string> ids;
        const auto listed = json::parse(http_request(hub->port(), "GET", "/api/engines", auth()).body);
        for (const auto& engine : listed["items"]) {
            ids.insert(engine["id"].get<std::string>());
        }
        return ids;
    }
};

TEST_F(SessionPoolTest, StartBindsAnIdleEngineThatOpensTheProjectAndThePoolRefills) {
    start_test_hub({}, "pool = 1");
    ASSERT_TRUE(wait_idle(1)) << pool().dump() << hub->log();
    const auto idle = engine_ids();
    ASSERT_EQ(idle.size(), 1U);
    const auto project = create_project(auth());

    Tab first(*hub, hub->bearer());
    const auto ready = start_session(first, project);
    ASSERT_FALSE(ready.is_null());
    EXPECT_EQ(ready["engine"]["id"], *idle.begin()) << "the session did not take the idle engine";
    EXPECT_EQ(ready["tools"].size(), 10U);
    first.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "kept"}}}});
    ASSERT_EQ(first.next("command:result")["payload"]["ok"], true);
    ASSERT_TRUE(wait_idle(1)) << "the pool did not refill: " << pool().dump() << hub->log();

    // A second session of the same project takes the refilled engine, which opens the saved scene.
    first.send("session:end", json::object());
    ASSERT_FALSE(first.next("ack").is_null());
    for (int i = 0; i < 500 && !sessions().empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto refilled = engine_ids();
    Tab second(*hub, hub->bearer());
    const auto again = start_session(second, project);
    ASSERT_FALSE(again.is_null());
    EXPECT_TRUE(refilled.contains(again["engine"]["id"].get<std::string>()));
    EXPECT_FALSE(second.next("scene:updated").is_null()) << "project/open should announce the opened scene";
    second.send("command:send", {{"tool", "scene__list_objects"}, {"arguments", json::object()}});
    const auto listed = second.next("command:result");
    ASSERT_EQ(listed["payload"]["data"]["objects"].size(), 1U) << listed.dump() << hub->log();
    EXPECT_EQ(listed["payload"]["data"]["objects"][0]["name"], "kept");
}

TEST_F(SessionPoolTest, APoolWhoseEnginesKeepFailingStopsRefillingWithTheReason) {
    // Every engine of this kind dies at once: the pool gives up after max attempts (2 here).
    start_hub(R"(["/bin/sh", "-c", "echo 'no engine here' >&2; exit 3"])", {"--engine-max-attempts", "2"}, "pool = 1");
    for (int i = 0; i < 3000 && pool().value("failures", 0) < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(pool()["failures"], 2) << hub->log();
    EXPECT_NE(hub->log().find("no more are started"), std::string::npos) << hub->log();
    EXPECT_NE(hub->log().find("no engine here"), std::string::npos) << "the reason should quote the engine's log";
    EXPECT_EQ(pool()["starting"], 0);
}

/// Whether bubblewrap can make its namespaces here (CI containers sometimes forbid it).
std::string bubblewrap_problem() {
    const auto probe = run_command({"/usr/bin/bwrap", "--ro-bind", "/", "/", "--unshare-net", "--", "/bin/true"});
    return probe.exit_code == 0 ? std::string() : "exit code " + std::to_string(probe.exit_code) + ": " + probe.err;
}

TEST_F(SessionPoolTest, ASandboxedEngineCannotWriteOutsideItsTreeNorOpenANetworkSocket) {
    if (const auto problem = bubblewrap_problem(); !problem.empty()) {
        GTEST_SKIP() << "bubblewrap cannot run here, so the sandbox cannot be tested: " << problem;
    }
    const auto manifests = std::string(ATELIER_SOURCE_DIR) + "/tests/engine/manifests_sandbox";
    start_hub("[\"" + test_engine_binary() + "\", \"--manifests\", \"" + manifests + "\"]", {}, "sandbox = true");
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    ASSERT_FALSE(start_session(tab, project).is_null()) << hub->log();
    const auto outside = config_dir.path() / "escaped.txt";
    const auto probe = [&](const json& arguments) {
        tab.send("command:send", {{"tool", "sandbox__probe"}, {"arguments", arguments}});
        const auto result = tab.next("command:result");
        EXPECT_EQ(result["payload"]["ok"], true) << result.dump();
        return result["payload"]["data"];
    };
    const auto inside = probe({{"write_path", "inside.txt"}});
    EXPECT_EQ(inside["wrote"], true) << inside.dump() << " (the working tree must stay writable)";
    const auto escaped = probe({{"write_path", outside.string()}});
    EXPECT_EQ(escaped["wrote"], false) << escaped.dump();
    EXPECT_FALSE(std::filesystem::exists(outside));
    const auto home = probe({{"write_path", "/root/escaped.txt"}});
    EXPECT_EQ(home["wrote"], false) << home.dump();
    const auto network = probe({{"connect_port", hub->port()}});
    EXPECT_EQ(network["connected"], false) << network.dump() << " (the engine reached the hub's TCP port)";
}

} // namespace
} // namespace atelier::testing
