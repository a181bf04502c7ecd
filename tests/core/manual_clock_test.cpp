// SPDX-License-Identifier: Apache-2.0
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/manual_clock.h"

namespace atelier {
namespace {

using std::chrono::milliseconds;

TEST(ManualClock, RunsNothingUntilTimeReachesTheDeadline) {
    ManualClock clock;
    int ran = 0;
    clock.schedule(milliseconds(100), [&] { ++ran; });
    EXPECT_EQ(clock.advance(milliseconds(99)), 0U);
    EXPECT_EQ(ran, 0);
    EXPECT_EQ(clock.advance(milliseconds(1)), 1U);
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(clock.pending(), 0U);
}

TEST(ManualClock, RunsDueTimersInDeadlineOrderIncludingOnesScheduledOnTheWay) {
    ManualClock clock;
    std::vector<int> order;
    clock.schedule(milliseconds(30), [&] { order.push_back(3); });
    clock.schedule(milliseconds(10), [&] {
        order.push_back(1);
        // Due within the same step: it runs before the one at 30 ms.
        clock.schedule(milliseconds(10), [&] { order.push_back(2); });
    });
    EXPECT_EQ(clock.advance(milliseconds(50)), 3U);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(ManualClock, ACancelledTimerNeverRuns) {
    ManualClock clock;
    int ran = 0;
    const auto id = clock.schedule(milliseconds(5), [&] { ++ran; });
    EXPECT_TRUE(clock.cancel(id));
    EXPECT_FALSE(clock.cancel(id));
    clock.advance(milliseconds(10));
    EXPECT_EQ(ran, 0);
}

TEST(ManualClock, NowMovesOnlyWithAdvance) {
    ManualClock clock;
    const auto start = clock.now();
    const auto wall = clock.wall_now();
    EXPECT_EQ(clock.now(), start);
    clock.advance(milliseconds(1500));
    EXPECT_EQ(clock.now() - start, milliseconds(1500));
    EXPECT_EQ(clock.wall_now() - wall, milliseconds(1500));
}

TEST(ManualClock, TellsTheDelayToTheNextTimer) {
    ManualClock clock;
    EXPECT_EQ(clock.next_delay(), milliseconds(-1));
    clock.schedule(milliseconds(40), [] {});
    clock.advance(milliseconds(15));
    EXPECT_EQ(clock.next_delay(), milliseconds(25));
}

TEST(ManualClock, WaitsForATimerAnotherThreadSchedules) {
    ManualClock clock;
    EXPECT_FALSE(clock.wait_for_pending(1, milliseconds(0)));
    std::thread scheduler([&] { clock.schedule(milliseconds(10), [] {}); });
    EXPECT_TRUE(clock.wait_for_pending(1, std::chrono::seconds(20)));
    scheduler.join();
}

} // namespace
} // namespace atelier
