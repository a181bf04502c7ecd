// SPDX-License-Identifier: Apache-2.0
// The warm pool with recorded launches and a ManualClock: refills, and replacements only after
// their backoff. Waits are for events (a launch, the pool's worker having run), never for time.

#include <future>

#include <gtest/gtest.h>

#include "core/ids.h"
#include "core/manual_clock.h"
#include "core/timer_queue.h"
#include "engine_supervision_fakes.h"
#include "engines/engine_pool.h"

namespace atelier::engines::testing {
namespace {

using std::chrono::milliseconds;

class EnginePoolTest : public ::testing::Test {
protected:
    std::shared_ptr<EnginePool> make_pool(int max_failures = 3) {
        EnginePool::Options options;
        options.sizes["fake"] = 1;
        options.dir = m_dir;
        options.max_failures = max_failures;
        options.backoff_base = milliseconds(100);
        options.backoff_cap = kCap;
        return std::make_shared<EnginePool>(
            options,
            [this](const std::string& kind, const std::string& id, const std::filesystem::path&,
                   const std::filesystem::path&) { return launches.launch(kind, id); },
            worker, clock);
    }
    /// The engine of pool id `id` says hello.
    std::shared_ptr<EngineLink> connect(EnginePool& pool, const std::string& id) {
        EngineInfo info;
        info.id = "engine-" + id;
        info.kind = "fake";
        info.session_id = id;
        auto link = std::make_shared<EngineLink>(info, std::make_shared<NullConnection>(), link_timers,
                                                 std::chrono::seconds(60));
        EXPECT_TRUE(pool.on_connected(link));
        return link;
    }
    /// Everything posted to the pool's worker so far has run.
    void drain() {
        std::promise<void> ran;
        worker.post([&ran] { ran.set_value(); });
        ASSERT_EQ(ran.get_future().wait_for(kEventDeadline), std::future_status::ready);
    }

    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(m_dir, ignored);
    }

    static constexpr milliseconds kCap{400};
    const std::filesystem::path m_dir = std::filesystem::temp_directory_path() / ("atelier-pool-" + new_uuid());
    ManualClock clock;
    TimerQueue link_timers;
    LaunchRecorder launches;
    Worker worker{"pool-test"};
};

TEST_F(EnginePoolTest, KeepsItsIdleEnginesAndRefillsAfterATake) {
    auto pool = make_pool();
    pool->fill();
    const auto first = launches.wait_for(1);
    ASSERT_EQ(first.kind, "fake");
    EXPECT_FALSE(pool->take("fake").has_value()); // launched, not yet connected
    drain();
    connect(*pool, first.owner);
    EXPECT_EQ(pool->status()["fake"].value("idle", -1), 1);

    auto taken = pool->take("fake");
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->id, first.owner);
    EXPECT_TRUE(taken->link && taken->process);
    EXPECT_NE(launches.wait_for(2).owner, "");
    pool->shutdown();
}

TEST_F(EnginePoolTest, ReplacesAnIdleEngineThatDiesOnlyAfterItsBackoff) {
    auto pool = make_pool();
    pool->fill();
    const auto first = launches.wait_for(1);
    drain();
    const auto link = connect(*pool, first.owner);

    link->disconnected(Error{ErrorCode::EngineLost, "gone"});
    ASSERT_TRUE(clock.wait_for_pending(1, kEventDeadline));
    drain();
    EXPECT_EQ(launches.count(), 1U);
    clock.advance(kCap);
    EXPECT_NE(launches.wait_for(2).owner, first.owner);
    pool->shutdown();
}

TEST_F(EnginePoolTest, StopsRefillingAKindWhoseEnginesKeepFailing) {
    launches.fail_all();
    auto pool = make_pool(3);
    pool->fill();
    // Each failure plans a refill; the clock moves whenever one is planned. One move may run more
    // than one attempt (a refill planned and due within it), so the attempts are not counted off.
    const auto deadline = std::chrono::steady_clock::now() + kEventDeadline;
    while (launches.count() < 3 && std::chrono::steady_clock::now() < deadline) {
        if (clock.wait_for_pending(1, milliseconds(50))) {
            clock.advance(kCap);
        }
    }
    ASSERT_NE(launches.wait_for(3).kind, "");
    drain();
    EXPECT_EQ(pool->status()["fake"].value("failures", 0), 3);
    EXPECT_EQ(clock.pending(), 0U); // no further refill is planned
    clock.advance(kCap * 10);
    drain();
    EXPECT_EQ(launches.count(), 3U);
}

} // namespace
} // namespace atelier::engines::testing
