// SPDX-License-Identifier: Apache-2.0
#include "rtc/encoder_settings.h"

#include <gtest/gtest.h>

namespace atelier::rtc {
namespace {

TEST(RtcEncoderSettings, GivesTheConfiguredCeilingAt720p) {
    EXPECT_EQ(bitrate_ceiling_kbps(1500, 1280, 720), 1500);
}

TEST(RtcEncoderSettings, ScalesTheCeilingByPixelCount) {
    EXPECT_EQ(bitrate_ceiling_kbps(1500, 640, 360), 375);
    EXPECT_EQ(bitrate_ceiling_kbps(4000, 960, 540), 2250);
}

TEST(RtcEncoderSettings, NeverExceedsTheConfiguredCeilingForLargerFrames) {
    EXPECT_EQ(bitrate_ceiling_kbps(1500, 1920, 1080), 1500);
}

TEST(RtcEncoderSettings, KeepsAFloorForSmallFramesUnlessTheConfiguredCeilingIsLower) {
    EXPECT_EQ(bitrate_ceiling_kbps(1500, 160, 90), kMinimumCeilingKbps);
    EXPECT_EQ(bitrate_ceiling_kbps(100, 160, 90), 100);
}

TEST(RtcEncoderSettings, TreatsAnUnknownSizeAsTheReferenceSize) {
    EXPECT_EQ(bitrate_ceiling_kbps(1500, 0, 0), 1500);
}

} // namespace
} // namespace atelier::rtc
