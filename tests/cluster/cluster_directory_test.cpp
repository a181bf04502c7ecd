// SPDX-License-Identifier: Apache-2.0
// ClusterSessionDirectory on a real PostgreSQL server: two hubs' directories sharing the lease
// table (docs/scaling.md). No hub processes: sessions are bare Session objects.

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "postgres_server.h"
#include "sessions/cluster_session_directory.h"
#include "sessions/session.h"
#include "store/database.h"
#include "store/session_leases.h"
#include "store/store.h"

namespace atelier::sessions {
namespace {

using namespace std::chrono_literals;

class ClusterDirectoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto server = store::testing::PostgresServer::shared();
        ASSERT_TRUE(server) << server.error().message;
        auto url = (*server)->create_database();
        ASSERT_TRUE(url) << url.error().message;
        m_url = *url;
        ASSERT_TRUE(store::open_store(m_url, std::filesystem::temp_directory_path()));
    }

    std::shared_ptr<SessionDirectory> directory(const std::string& hub, ClusterDirectoryHooks hooks = {},
                                                std::chrono::milliseconds ttl = 10s) {
        auto leases = store::SessionLeases::open(m_url, hub, ttl);
        EXPECT_TRUE(leases) << leases.error().message;
        return make_cluster_session_directory(std::move(*leases), std::move(hooks));
    }

    static SessionDirectory::Create make(const std::string& id, std::atomic<int>& created) {
        return [id, &created]() -> Result<std::shared_ptr<Session>> {
            ++created;
            return std::make_shared<Session>(id, "user", "project", "test", std::filesystem::path{},
                                             std::filesystem::path{});
        };
    }

    std::string m_url;
};

TEST_F(ClusterDirectoryTest, ConcurrentClaimsOnTwoHubsMakeOneSessionAndTheOtherHubIsToldTheOwner) {
    // A hub's own concurrent claims are never mistaken for taking over a dead hub's session (that
    // clears the repository's lock files).
    std::atomic<int> takeovers{0};
    ClusterDirectoryHooks hooks;
    hooks.on_takeover = [&](const std::string&, const std::string&) { ++takeovers; };
    auto a = directory("http://127.0.0.1:1001", hooks);
    auto b = directory("http://127.0.0.1:1002", hooks);
    std::atomic<int> created{0};
    std::atomic<int> joined{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> threads;
    for (int n = 0; n < 20; ++n) {
        threads.emplace_back([&, n] {
            auto& hub = n % 2 == 0 ? a : b;
            auto claim = hub->claim("p1", make("s" + std::to_string(n), created));
            if (!claim) {
                EXPECT_EQ(claim.error().code, ErrorCode::Conflict) << claim.error().message;
                EXPECT_NE(claim.error().details.find("http://127.0.0.1:100"), std::string::npos);
                ++conflicts;
            } else if (claim->joined) {
                ++joined;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(created.load(), 1);
    EXPECT_EQ(joined.load(), 9);     // the rest of the winning hub's claims
    EXPECT_EQ(conflicts.load(), 10); // every claim of the other hub
    EXPECT_TRUE((a->live("p1") != nullptr) != (b->live("p1") != nullptr));
    EXPECT_EQ(takeovers.load(), 0);
}

TEST_F(ClusterDirectoryTest, ReleaseFreesTheProjectForAnotherHubAtOnce) {
    auto a = directory("http://127.0.0.1:1001");
    auto b = directory("http://127.0.0.1:1002");
    std::atomic<int> created{0};
    ASSERT_TRUE(a->claim("p1", make("s1", created)));
    EXPECT_FALSE(b->claim("p1", make("s2", created)));
    a->release("p1", "s1");
    auto taken = b->claim("p1", make("s2", created));
    ASSERT_TRUE(taken) << taken.error().message;
    EXPECT_FALSE(taken->joined);
    EXPECT_EQ(taken->session->id, "s2");
}

TEST_F(ClusterDirectoryTest, AHubThatLosesItsLeaseIsToldAndForgetsTheSession) {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> lost;
    ClusterDirectoryHooks hooks;
    hooks.on_lost = [&](const std::string& project) {
        const std::lock_guard lock(mutex);
        lost.push_back(project);
        changed.notify_all();
    };
    auto a = directory("http://127.0.0.1:1001", hooks, 600ms);
    std::atomic<int> created{0};
    ASSERT_TRUE(a->claim("p1", make("s1", created)));
    // Another hub took the project (as after this hub was cut off past its lease).
    auto database = store::open_postgres_database(m_url);
    ASSERT_TRUE(database);
    ASSERT_TRUE((*database)->query(
        "UPDATE session_leases SET hub_url = 'http://127.0.0.1:1002', epoch = epoch + 1 WHERE project_id = 'p1'", {}));
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 30s, [&] { return !lost.empty(); }));
    EXPECT_EQ(lost, std::vector<std::string>{"p1"});
    lock.unlock();
    EXPECT_EQ(a->live("p1"), nullptr);
}

TEST_F(ClusterDirectoryTest, TakingOverFromADeadHubCallsTheTakeoverHook) {
    std::vector<std::string> previous;
    ClusterDirectoryHooks hooks;
    hooks.on_takeover = [&](const std::string&, const std::string& hub) { previous.push_back(hub); };
    std::atomic<int> created{0};
    {
        // A hub whose lease lapses: short lease, and it is gone without releasing.
        auto leases = store::SessionLeases::open(m_url, "http://127.0.0.1:1001", 200ms);
        ASSERT_TRUE(leases);
        auto acquired = (*leases)->acquire("p1");
        ASSERT_TRUE(acquired && *acquired);
        ASSERT_TRUE((*leases)->attach("p1", (*acquired)->lease.epoch, "dead-session"));
    }
    auto b = directory("http://127.0.0.1:1002", hooks);
    Result<SessionDirectory::Claim> claim = fail(ErrorCode::Internal, "not tried");
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        claim = b->claim("p1", make("s2", created));
        if (claim) {
            break;
        }
        std::this_thread::sleep_for(20ms); // a poll interval while the lease lapses
    }
    ASSERT_TRUE(claim) << claim.error().message;
    EXPECT_EQ(previous, std::vector<std::string>{"http://127.0.0.1:1001"});
}

} // namespace
} // namespace atelier::sessions
