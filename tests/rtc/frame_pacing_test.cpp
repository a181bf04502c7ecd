// SPDX-License-Identifier: Apache-2.0
// When the helper repeats a session's last frame (src/rtc/frame_pacing.h): a flush soon after each
// new frame, then a keep-alive while the picture holds still.

#include <gtest/gtest.h>

#include "rtc/frame_pacing.h"

namespace atelier::rtc {
namespace {

constexpr std::int64_t kMs = 1000;

/// A pacing that has just pushed a new frame at `at`.
FramePacing after_new_frame(std::int64_t at) {
    FramePacing pacing;
    pacing.new_frame(at);
    pacing.pushed(at);
    return pacing;
}

TEST(FramePacing, ANewFrameIsRepeatedTwiceShortlyAfterSoTheReceiverShowsItAtOnce) {
    constexpr std::int64_t kAt = 1000 * kMs;
    auto pacing = after_new_frame(kAt);
    EXPECT_FALSE(pacing.repeat_due(kAt + FramePacing::kFlushAfterUs - 1));
    EXPECT_TRUE(pacing.repeat_due(kAt + FramePacing::kFlushAfterUs));
    pacing.pushed(kAt + FramePacing::kFlushAfterUs);
    EXPECT_FALSE(pacing.repeat_due(kAt + 3 * FramePacing::kFlushAfterUs - 1));
    EXPECT_TRUE(pacing.repeat_due(kAt + 3 * FramePacing::kFlushAfterUs));
    pacing.pushed(kAt + 3 * FramePacing::kFlushAfterUs);
    // No more flushes: nothing until the keep-alive.
    EXPECT_FALSE(pacing.repeat_due(kAt + 5 * FramePacing::kFlushAfterUs));
    EXPECT_FALSE(pacing.repeat_due(kAt + 3 * FramePacing::kFlushAfterUs + FramePacing::kRestingIntervalUs - 1));
    EXPECT_TRUE(pacing.repeat_due(kAt + 3 * FramePacing::kFlushAfterUs + FramePacing::kRestingIntervalUs));
}

/// A pacing whose last new frame (at 0) had its flushes; returns when the last one was pushed.
std::int64_t flush_all(FramePacing& pacing) {
    std::int64_t last = 0;
    for (int n = 0; n < FramePacing::kFlushes; ++n) {
        last = FramePacing::kFlushAfterUs * (1 + 2 * n);
        EXPECT_TRUE(pacing.repeat_due(last)) << n;
        pacing.pushed(last);
    }
    return last;
}

TEST(FramePacing, AStillPictureIsRepeatedEveryRestingInterval) {
    auto pacing = after_new_frame(0);
    std::int64_t last = flush_all(pacing);
    for (int n = 0; n < 3; ++n) {
        EXPECT_FALSE(pacing.repeat_due(last + FramePacing::kRestingIntervalUs - 1));
        EXPECT_TRUE(pacing.repeat_due(last + FramePacing::kRestingIntervalUs));
        last += FramePacing::kRestingIntervalUs;
        pacing.pushed(last);
    }
}

TEST(FramePacing, FramesThatComeFasterThanTheFlushAreNotRepeatedInBetween) {
    FramePacing pacing;
    std::int64_t now = 0;
    for (int n = 0; n < 10; ++n) { // an orbit at 50 frames/s
        pacing.new_frame(now);
        pacing.pushed(now);
        EXPECT_FALSE(pacing.repeat_due(now + FramePacing::kFlushAfterUs / 2)) << n;
        now += 20 * kMs;
    }
    // The orbit stops: the last frame gets its flush.
    EXPECT_TRUE(pacing.repeat_due(now - 20 * kMs + FramePacing::kFlushAfterUs));
}

TEST(FramePacing, ANewFrameAfterALongRestIsFlushedToo) {
    auto pacing = after_new_frame(0);
    flush_all(pacing);
    const std::int64_t later = 60'000 * kMs;
    pacing.new_frame(later);
    pacing.pushed(later);
    EXPECT_FALSE(pacing.repeat_due(later + kMs));
    EXPECT_TRUE(pacing.repeat_due(later + FramePacing::kFlushAfterUs));
}

} // namespace
} // namespace atelier::rtc
