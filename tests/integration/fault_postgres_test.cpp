// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): PostgreSQL restarted under load. The hub runs on a
// private PostgreSQL server (tests/store/postgres_server.h) while several clients keep writing —
// REST restores (a commit plus a version row each), project creations, and session commands with
// the test engine (save, commit, version row). Mid-run the server is restarted with
// `pg_ctl restart -m fast`, then stopped with `-m immediate` (a crash) and started again. Every
// request answers (none hangs: a request without an answer is a failure), requests during the
// outage fail with 503 and a message, the hub reconnects by itself (each client gets writes
// acknowledged again after each restart), and every version and project acknowledged at any point
// is there at the end.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fault_support.h"
#include "postgres_server.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using namespace std::chrono_literals;

/// What one load client was told: acknowledged writes, failures by status, answers missing.
struct Outcomes {
    std::mutex mutex;
    std::map<std::string, std::set<std::string>> versions; // project → acknowledged revs
    std::set<std::string> projects;                        // acknowledged creations
    std::map<int, int> failures;                           // status → count (0: no answer)
    std::vector<std::string> unclear;                      // failures without a JSON error message
    std::atomic<int> acknowledged{0};
    std::atomic<int> failed{0};

    void fail(int status, const std::string& what) {
        const std::lock_guard lock(mutex);
        ++failures[status];
        if (status == 0 || what.find("no error message") != std::string::npos) {
            unclear.push_back(std::to_string(status) + " " + what);
        }
        ++failed;
    }
};

/// The error message of a REST failure, empty when the body has none.
std::string error_message(const RestReply& reply) {
    if (!reply.body.is_object() || !reply.body.contains("error") || !reply.body["error"].is_object()) {
        return {};
    }
    return reply.body["error"].value("message", "");
}

/// A REST call that keeps the transport error (a request without an answer) for the report.
struct Answer {
    int status = 0;
    json body;
    std::string text; ///< the body, or the transport error when there is no answer
};
Answer ask(std::uint16_t port, const std::string& token, const std::string& method, const std::string& target,
           const std::string& body = {}) {
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token}};
    if (!body.empty()) {
        headers["Content-Type"] = "application/json";
    }
    const HttpResult result = http_request(port, method, target, headers, body);
    Answer answer{result.status, json::parse(result.body, nullptr, false),
                  result.status == 0 ? result.error : result.body};
    const bool has_message = answer.body.is_object() && answer.body.contains("error") &&
                             answer.body["error"].is_object() && answer.body["error"].contains("message");
    if (result.status != 0 && !has_message) {
        answer.text = "no error message: " + answer.text;
    }
    return answer;
}

class FaultPostgres : public SessionTest {
protected:
    void SetUp() override {
        auto started = store::testing::PostgresServer::start();
        ASSERT_TRUE(started) << started.error().message;
        server = std::move(*started);
        auto url = server->create_database();
        ASSERT_TRUE(url) << url.error().message;
        const auto file = write_fault_config(config_dir.path());
        hub = HubProcess::start({.args = {"--config", file.string(), "--database", *url, "--session-grace", "1"}});
    }

    void TearDown() override {
        stopping = true;
        for (auto& worker : workers) {
            worker.join();
        }
    }

    /// A client restoring its project's two versions in turn: each restore is a commit and a
    /// version row.
    void start_restorer(int n) {
        const std::string project =
            testing::create_project(hub->port(), hub->token(), "restores " + std::to_string(n), "test");
        ASSERT_FALSE(project.empty());
        const std::string first =
            rest(hub->port(), hub->token(), "GET", "/api/projects/" + project).body.value("current_version", "");
        const std::string second = commit_version_via_restore(project, first);
        ASSERT_FALSE(second.empty());
        workers.emplace_back([this, project, revs = std::array{first, second}] {
            for (std::size_t attempt = 0; !stopping; ++attempt) {
                const auto restored = ask(hub->port(), hub->token(), "POST",
                                          "/api/projects/" + project + "/versions/" + revs[attempt % 2] + "/restore");
                if (restored.status == 201) {
                    const std::lock_guard lock(outcomes.mutex);
                    outcomes.versions[project].insert(restored.body.value("rev", ""));
                    ++outcomes.acknowledged;
                    ++restorer_acks;
                } else {
                    outcomes.fail(restored.status, "restore: " + restored.text);
                }
            }
        });
    }

    std::string commit_version_via_restore(const std::string& project, const std::string& rev) {
        const auto restored =
            rest(hub->port(), hub->token(), "POST", "/api/projects/" + project + "/versions/" + rev + "/restore");
        EXPECT_EQ(restored.status, 201) << restored.raw;
        return restored.body.value("rev", "");
    }

    /// A client creating projects.
    void start_creator() {
        workers.emplace_back([this] {
            for (int n = 0; !stopping; ++n) {
                const auto created = ask(hub->port(), hub->token(), "POST", "/api/projects",
                                         json{{"name", "load " + std::to_string(n)}, {"kind", "test"}}.dump());
                if (created.status == 201) {
                    const std::lock_guard lock(outcomes.mutex);
                    outcomes.projects.insert(created.body.value("id", ""));
                    ++outcomes.acknowledged;
                    ++creator_acks;
                } else {
                    outcomes.fail(created.status, "create: " + created.text);
                }
            }
        });
    }

    /// A browser tab running mutating commands in its session: each success names a version.
    void start_commander(int n) {
        const std::string project = SessionTest::create_project(auth());
        auto tab = std::make_shared<Tab>(*hub);
        ASSERT_FALSE(start_session(*tab, project).is_null());
        workers.emplace_back([this, tab, project, n] {
            for (int call = 0; !stopping; ++call) {
                tab->send("command:send",
                          {{"tool", "scene__create_object"},
                           {"arguments", {{"name", "c" + std::to_string(n) + "-" + std::to_string(call)}}}});
                const auto result = tab->next("command:result", 60s);
                if (result.is_null()) {
                    outcomes.fail(0, "command " + std::to_string(call) + " never answered");
                    return;
                }
                const auto& payload = result["payload"];
                if (payload.contains("version")) {
                    const std::lock_guard lock(outcomes.mutex);
                    outcomes.versions[project].insert(payload["version"].get<std::string>());
                    ++outcomes.acknowledged;
                    ++commander_acks;
                } else {
                    // A save_error_code "unavailable" is the hub's 503 on the WebSocket.
                    outcomes.fail(payload.value("save_error_code", "") == "unavailable" ? 503 : 500, payload.dump());
                }
            }
        });
    }

    /// Every kind of client got `more` writes acknowledged after this call.
    [[nodiscard]] bool every_client_writes_again(int more) {
        const int restorers = restorer_acks, creators = creator_acks, commanders = commander_acks;
        return eventually(
            [&] {
                return restorer_acks >= restorers + more && creator_acks >= creators + more &&
                       commander_acks >= commanders + more;
            },
            120s);
    }

    std::unique_ptr<store::testing::PostgresServer> server;
    std::vector<std::thread> workers;
    std::atomic<bool> stopping{false};
    std::atomic<int> restorer_acks{0}, creator_acks{0}, commander_acks{0};
    Outcomes outcomes;
};

TEST_F(FaultPostgres, RestartsUnderLoadFailCleanlyReconnectAndLoseNothingAcknowledged) {
    for (int n = 0; n < 2; ++n) {
        start_restorer(n);
        start_commander(n);
    }
    start_creator();
    ASSERT_TRUE(every_client_writes_again(3)) << hub->log();

    // A fast restart: PostgreSQL ends every session; the hub's connection is dead under it.
    ASSERT_TRUE(server->restart("fast"));
    ASSERT_TRUE(every_client_writes_again(3)) << "no writes acknowledged after pg_ctl restart -m fast\n" << hub->log();

    // A crash and an outage: requests during it fail with 503 and say why; none hangs.
    ASSERT_TRUE(server->stop("immediate"));
    const int failed_before = outcomes.failed;
    const auto refused = rest_json(hub->port(), hub->token(), "POST", "/api/projects",
                                   json{{"name", "during the outage"}, {"kind", "test"}});
    EXPECT_EQ(refused.status, 503) << refused.raw;
    EXPECT_FALSE(error_message(refused).empty()) << refused.raw;
    const auto health = http_request(hub->port(), "GET", "/api/health");
    EXPECT_NE(health.status, 0) << health.error;
    EXPECT_TRUE(eventually([&] { return outcomes.failed >= failed_before + 5; }, 60s));
    ASSERT_TRUE(server->start_again());
    ASSERT_TRUE(every_client_writes_again(3)) << "no writes acknowledged after the crash and restart\n" << hub->log();

    stopping = true;
    for (auto& worker : workers) {
        worker.join();
    }
    workers.clear();

    // Every failure was an answer with a reason, and a server-side one.
    {
        const std::lock_guard lock(outcomes.mutex);
        EXPECT_TRUE(outcomes.unclear.empty()) << json(outcomes.unclear).dump();
        for (const auto& [status, count] : outcomes.failures) {
            EXPECT_EQ(status, 503) << count << " answers with status " << status;
        }
    }
    // Everything acknowledged is there.
    for (const auto& [project, revs] : outcomes.versions) {
        const auto listed = listed_versions(hub->port(), hub->token(), project);
        for (const auto& rev : revs) {
            EXPECT_TRUE(listed.contains(rev)) << "acknowledged version " << rev << " of " << project << " is missing";
        }
    }
    for (const auto& project : outcomes.projects) {
        EXPECT_EQ(rest(hub->port(), hub->token(), "GET", "/api/projects/" + project).status, 200) << project;
    }
    RecordProperty("acknowledged", outcomes.acknowledged.load());
    RecordProperty("failed", outcomes.failed.load());
    std::cout << "postgres restarts: " << outcomes.acknowledged << " writes acknowledged, " << outcomes.failed
              << " failed with 503, versions checked in " << outcomes.versions.size() << " projects, "
              << outcomes.projects.size() << " projects created\n";
}

// PostgreSQL restarted while the hub is idle: its connection died in between, but the server is
// back before the next request, so that request must not pay for it — the hub finds the dead
// connection before sending and reconnects first. Two restarts: fast and immediate.
TEST_F(FaultPostgres, ARestartWhileIdleCostsTheNextRequestNothing) {
    for (const std::string mode : {"fast", "immediate"}) {
        ASSERT_TRUE(server->restart(mode));
        const auto created = ask(hub->port(), hub->token(), "POST", "/api/projects",
                                 json{{"name", "after a " + mode + " restart"}, {"kind", "test"}}.dump());
        EXPECT_EQ(created.status, 201) << mode << ": " << created.text;
        EXPECT_EQ(ask(hub->port(), hub->token(), "GET", "/api/projects").status, 200) << mode;
    }
}

} // namespace
} // namespace atelier::testing
