// SPDX-License-Identifier: Apache-2.0
// store::SessionLeases on a real PostgreSQL server (tests/store/postgres_server.h): the
// compare-and-set rules that keep one owner hub per live project (docs/scaling.md).

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "postgres_server.h"
#include "store/session_leases.h"
#include "store/store.h"

namespace atelier::store {
namespace {

using namespace std::chrono_literals;

class SessionLeasesTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto server = testing::PostgresServer::shared();
        ASSERT_TRUE(server) << server.error().message;
        auto url = (*server)->create_database();
        ASSERT_TRUE(url) << url.error().message;
        m_url = *url;
        auto migrated = open_store(m_url, m_dir); // runs the migrations, the lease table's included
        ASSERT_TRUE(migrated) << migrated.error().message;
    }

    std::unique_ptr<SessionLeases> hub(const std::string& name, std::chrono::milliseconds ttl = 10s) {
        auto leases = SessionLeases::open(m_url, name, ttl);
        EXPECT_TRUE(leases) << leases.error().message;
        return leases ? std::move(*leases) : nullptr;
    }

    /// Waits (deadline 30 s) until the database's clock says the lease of `project` expired.
    static bool wait_expired(SessionLeases& leases, const std::string& project) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < deadline) {
            auto lease = leases.find(project);
            if (lease && *lease && (*lease)->expired) {
                return true;
            }
            std::this_thread::sleep_for(10ms); // a poll interval
        }
        return false;
    }

    std::string m_url;
    std::filesystem::path m_dir = std::filesystem::temp_directory_path();
};

TEST_F(SessionLeasesTest, AHeldLeaseRefusesAnotherHubAndNamesItsOwner) {
    auto a = hub("http://127.0.0.1:1001");
    auto b = hub("http://127.0.0.1:1002");
    auto first = a->acquire("p1");
    ASSERT_TRUE(first && *first);
    EXPECT_EQ((*first)->lease.epoch, 1);
    EXPECT_TRUE((*first)->previous_hub.empty());
    auto second = b->acquire("p1");
    ASSERT_TRUE(second);
    EXPECT_FALSE(*second);
    auto found = b->find("p1");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->hub_url, "http://127.0.0.1:1001");
    EXPECT_FALSE((*found)->expired);
    // The holder acquiring again keeps it, same epoch.
    auto again = a->acquire("p1");
    ASSERT_TRUE(again && *again);
    EXPECT_EQ((*again)->lease.epoch, 1);
}

TEST_F(SessionLeasesTest, AnExpiredLeaseIsTakenOverWithTheNextEpochAndTheDeadHubNamed) {
    auto a = hub("http://127.0.0.1:1001", 300ms);
    auto b = hub("http://127.0.0.1:1002", 300ms);
    auto held = a->acquire("p1");
    ASSERT_TRUE(held && *held);
    ASSERT_TRUE(a->attach("p1", (*held)->lease.epoch, "s1"));
    ASSERT_TRUE(wait_expired(*b, "p1"));
    auto taken = b->acquire("p1");
    ASSERT_TRUE(taken && *taken);
    EXPECT_EQ((*taken)->lease.epoch, 2);
    EXPECT_EQ((*taken)->previous_hub, "http://127.0.0.1:1001");
    EXPECT_EQ((*taken)->lease.session_id, "s1"); // until b attaches its own session
    // The old holder can neither attach at its epoch nor renew.
    EXPECT_FALSE(a->attach("p1", 1, "s1-late"));
    auto renewed = a->renew({"p1"});
    ASSERT_TRUE(renewed);
    EXPECT_EQ(*renewed, std::vector<std::string>{"p1"});
    // Nor release it.
    ASSERT_TRUE(a->release("p1", "s1"));
    auto still = b->find("p1");
    ASSERT_TRUE(still && *still);
    EXPECT_EQ((*still)->hub_url, "http://127.0.0.1:1002");
}

TEST_F(SessionLeasesTest, RenewalKeepsHeldLeasesAndReportsOnlyTheOthers) {
    auto a = hub("http://127.0.0.1:1001");
    ASSERT_TRUE(a->acquire("p1"));
    auto renewed = a->renew({"p1", "never-held"});
    ASSERT_TRUE(renewed);
    EXPECT_EQ(*renewed, std::vector<std::string>{"never-held"});
    auto none = a->renew({});
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST_F(SessionLeasesTest, ReleaseNeedsTheHoldingSessionSoAnOldSessionCannotDropANewOne) {
    auto a = hub("http://127.0.0.1:1001");
    auto held = a->acquire("p1");
    ASSERT_TRUE(held && *held);
    ASSERT_TRUE(a->attach("p1", (*held)->lease.epoch, "new"));
    ASSERT_TRUE(a->release("p1", "old"));
    auto found = a->find_session("new");
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->project_id, "p1");
    ASSERT_TRUE(a->release("p1", "new"));
    auto gone = a->find("p1");
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
    auto no_session = a->find_session("");
    ASSERT_TRUE(no_session);
    EXPECT_FALSE(*no_session);
}

TEST_F(SessionLeasesTest, ConcurrentAcquiresFromThreeHubsLeaveExactlyOneOwner) {
    std::vector<std::unique_ptr<SessionLeases>> hubs;
    for (int n = 0; n < 3; ++n) {
        hubs.push_back(hub("http://127.0.0.1:" + std::to_string(2000 + n)));
    }
    for (int round = 0; round < 10; ++round) {
        const std::string project = "race-" + std::to_string(round);
        std::atomic<int> winners{0};
        std::atomic<int> errors{0};
        std::vector<std::thread> threads;
        for (auto& leases : hubs) {
            threads.emplace_back([&, raw = leases.get()] {
                auto acquired = raw->acquire(project);
                if (!acquired) {
                    ++errors;
                } else if (*acquired) {
                    ++winners;
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        EXPECT_EQ(errors.load(), 0) << project;
        EXPECT_EQ(winners.load(), 1) << project;
    }
}

TEST(SessionLeasesOpen, RefusesAHubWithoutAUrl) {
    auto leases = SessionLeases::open("postgresql:///nowhere", "", std::chrono::seconds(10));
    ASSERT_FALSE(leases);
    EXPECT_EQ(leases.error().code, ErrorCode::InvalidConfig);
}

// cluster_hubs: which other hubs are up, for what spans users rather than projects (MCP seats).
TEST_F(SessionLeasesTest, HubsThatAnnouncedThemselvesAreListedUntilTheirAnnouncementLapses) {
    auto a = hub("http://127.0.0.1:1001");
    auto b = hub("http://127.0.0.1:1002", 300ms);
    auto unbound = hub("http://127.0.0.1:0");
    ASSERT_TRUE(a->announce());
    ASSERT_TRUE(b->announce());
    ASSERT_TRUE(unbound->announce()) << "a hub that has no port yet says nothing, and that is no error";
    auto others = a->other_live_hubs();
    ASSERT_TRUE(others) << others.error().message;
    EXPECT_EQ(*others, std::vector<std::string>{"http://127.0.0.1:1002"}) << "never itself, never port 0";
    auto from_b = b->other_live_hubs();
    ASSERT_TRUE(from_b);
    EXPECT_EQ(*from_b, std::vector<std::string>{"http://127.0.0.1:1001"});

    // b stops announcing (it died): once its announcement lapses, it is no longer listed.
    bool gone = false;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!gone && std::chrono::steady_clock::now() < deadline) {
        auto now = a->other_live_hubs();
        gone = now && now->empty();
        std::this_thread::sleep_for(20ms); // a poll interval
    }
    EXPECT_TRUE(gone);
    ASSERT_TRUE(b->announce()) << "announcing again renews the row";
    auto back = a->other_live_hubs();
    ASSERT_TRUE(back);
    EXPECT_EQ(back->size(), 1U);
}

} // namespace
} // namespace atelier::store
