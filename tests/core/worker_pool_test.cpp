// SPDX-License-Identifier: Apache-2.0
#include "core/worker_pool.h"

#include <future>
#include <map>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

namespace atelier {
namespace {

TEST(WorkerPoolTest, JobsOfOneKeyRunInTheOrderPosted) {
    std::mutex mutex;
    std::map<std::string, std::vector<int>> order;
    {
        WorkerPool pool("test", 4);
        for (int i = 0; i < 200; ++i) {
            const std::string key = "project-" + std::to_string(i % 5);
            pool.post(key, [&, key, i] {
                const std::lock_guard lock(mutex);
                order[key].push_back(i);
            });
        }
        pool.stop();
    }
    ASSERT_EQ(order.size(), 5U);
    for (const auto& [key, seen] : order) {
        ASSERT_EQ(seen.size(), 40U) << key;
        for (std::size_t i = 1; i < seen.size(); ++i) {
            EXPECT_LT(seen[i - 1], seen[i]) << key;
        }
    }
}

TEST(WorkerPoolTest, ABlockedKeyDoesNotHoldUpAKeyOnAnotherThread) {
    WorkerPool pool("test", 2);
    // Two keys that land on different threads (the same hash the pool uses).
    std::string first = "a";
    std::string second;
    for (int i = 0; second.empty(); ++i) {
        const std::string candidate = "k" + std::to_string(i);
        if (std::hash<std::string_view>{}(candidate) % 2 != std::hash<std::string_view>{}(first) % 2) {
            second = candidate;
        }
    }
    std::promise<void> release;
    auto released = release.get_future().share();
    pool.post(first, [released] { released.wait(); });
    std::promise<bool> ran;
    pool.post(second, [&] { ran.set_value(pool.on_worker()); });
    EXPECT_TRUE(ran.get_future().get()); // while `first` is still blocked
    release.set_value();
    pool.stop();
    EXPECT_FALSE(pool.post(first, [] {}));
}

} // namespace
} // namespace atelier
