// SPDX-License-Identifier: Apache-2.0
#include "core/worker.h"

#include <atomic>
#include <future>
#include <vector>

#include <gtest/gtest.h>

namespace atelier {
namespace {

TEST(WorkerTest, RunsJobsInTheOrderTheyWerePosted) {
    std::vector<int> order;
    {
        Worker worker("test");
        for (int i = 0; i < 100; ++i) {
            worker.post([&order, i] { order.push_back(i); });
        }
    } // the destructor runs what is queued
    ASSERT_EQ(order.size(), 100U);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
    }
}

TEST(WorkerTest, JobsRunOnTheWorkerThread) {
    Worker worker("test");
    EXPECT_FALSE(worker.on_worker());
    std::promise<bool> on_worker;
    worker.post([&] { on_worker.set_value(worker.on_worker()); });
    EXPECT_TRUE(on_worker.get_future().get());
}

TEST(WorkerTest, AFailingJobDoesNotStopTheNext) {
    Worker worker("test");
    std::promise<void> ran;
    worker.post([] { throw std::runtime_error("boom"); });
    worker.post([&] { ran.set_value(); });
    ran.get_future().get();
}

TEST(WorkerTest, PostAfterStopIsRefused) {
    Worker worker("test");
    std::atomic<int> count = 0;
    worker.post([&] { ++count; });
    worker.stop();
    EXPECT_EQ(count, 1);
    EXPECT_FALSE(worker.post([&] { ++count; }));
    EXPECT_EQ(count, 1);
}

} // namespace
} // namespace atelier
