// SPDX-License-Identifier: Apache-2.0
#include "core/backoff.h"

#include <gtest/gtest.h>

namespace atelier {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesFromTheBaseAndJittersOverTheUpperHalf) {
    EXPECT_EQ(jittered_backoff(milliseconds(500), milliseconds(10'000), 0, 0.0), milliseconds(250));
    EXPECT_EQ(jittered_backoff(milliseconds(500), milliseconds(10'000), 0, 1.0), milliseconds(500));
    EXPECT_EQ(jittered_backoff(milliseconds(500), milliseconds(10'000), 2, 1.0), milliseconds(2000));
}

TEST(BackoffTest, StopsGrowingAtTheCap) {
    EXPECT_EQ(jittered_backoff(milliseconds(500), milliseconds(10'000), 10, 1.0), milliseconds(10'000));
    EXPECT_EQ(jittered_backoff(milliseconds(500), milliseconds(10'000), 1000, 0.0), milliseconds(5'000));
}

TEST(BackoffTest, TheRandomVariantStaysWithinTheJitterRange) {
    for (int i = 0; i < 200; ++i) {
        const auto delay = jittered_backoff(milliseconds(500), milliseconds(10'000), 3);
        EXPECT_GE(delay, milliseconds(2000));
        EXPECT_LE(delay, milliseconds(4000));
    }
}

} // namespace
} // namespace atelier
