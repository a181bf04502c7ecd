// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "core/timer_queue.h"

namespace atelier {
namespace {

void wait_for(const std::atomic<int>& value, int expected) {
    for (int i = 0; i < 2000 && value.load() != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

TEST(TimerQueue, RunsCallbacksInDeadlineOrder) {
    TimerQueue timers;
    std::mutex mutex;
    std::vector<int> order;
    std::atomic<int> done{0};
    timers.schedule(std::chrono::milliseconds(60), [&] {
        const std::lock_guard lock(mutex);
        order.push_back(3);
        ++done;
    });
    timers.schedule(std::chrono::milliseconds(1), [&] {
        const std::lock_guard lock(mutex);
        order.push_back(1);
        ++done;
    });
    timers.schedule(std::chrono::milliseconds(30), [&] {
        const std::lock_guard lock(mutex);
        order.push_back(2);
        ++done;
    });
    wait_for(done, 3);
    const std::lock_guard lock(mutex);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimerQueue, ACallbackThatThrowsDoesNotStopLaterTimers) {
    TimerQueue timers;
    std::atomic<int> ran{0};
    timers.schedule(std::chrono::milliseconds(0), [] { throw std::runtime_error("a broken callback"); });
    timers.schedule(std::chrono::milliseconds(1), [&] { ran = 1; });
    wait_for(ran, 1);
    EXPECT_EQ(ran.load(), 1);
}

TEST(TimerQueue, CancelledTimersNeverRun) {
    TimerQueue timers;
    std::atomic<int> fired{0};
    const auto id = timers.schedule(std::chrono::milliseconds(20), [&] { ++fired; });
    EXPECT_TRUE(timers.cancel(id));
    EXPECT_FALSE(timers.cancel(id));
    std::atomic<int> marker{0};
    timers.schedule(std::chrono::milliseconds(40), [&] { ++marker; });
    wait_for(marker, 1);
    EXPECT_EQ(fired.load(), 0);
}

TEST(TimerQueue, AnEarlierTimerScheduledLaterStillFiresFirst) {
    TimerQueue timers;
    std::atomic<int> early{0};
    std::atomic<int> late{0};
    timers.schedule(std::chrono::seconds(30), [&] { ++late; });
    timers.schedule(std::chrono::milliseconds(5), [&] { ++early; });
    wait_for(early, 1);
    EXPECT_EQ(early.load(), 1);
    EXPECT_EQ(late.load(), 0);
}

} // namespace
} // namespace atelier
