// SPDX-License-Identifier: Apache-2.0
#include "api/media_info.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace atelier::api {
namespace {

std::string big_endian(std::uint32_t value, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i) {
        out += static_cast<char>((value >> (8 * i)) & 0xFFU);
    }
    return out;
}

std::string little_endian(std::uint32_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) {
        out += static_cast<char>((value >> (8 * i)) & 0xFFU);
    }
    return out;
}

TEST(MediaInfo, APngsSizeComesFromItsHeader) {
    const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + big_endian(13, 4) + "IHDR" + big_endian(1920, 4) +
                            big_endian(1080, 4) + std::string(5, '\0');
    EXPECT_EQ(media_info(png), (nlohmann::json{{"width", 1920}, {"height", 1080}}));
    EXPECT_TRUE(media_info(png.substr(0, 20)).empty()) << "a cut header is not read past its end";
}

TEST(MediaInfo, AJpegsSizeComesFromItsFrameMarkerAfterOtherSegments) {
    const std::string app0 = "\xFF\xE0" + big_endian(16, 2) + std::string(14, 'j');
    const std::string sof0 =
        "\xFF\xC0" + big_endian(17, 2) + "\x08" + big_endian(480, 2) + big_endian(640, 2) + std::string(10, '\0');
    EXPECT_EQ(media_info("\xFF\xD8" + app0 + sof0), (nlohmann::json{{"width", 640}, {"height", 480}}));
    EXPECT_TRUE(media_info("\xFF\xD8" + app0).empty());
    EXPECT_TRUE(media_info(std::string("\xFF\xD8\xFF\xE0\x00\x00", 6)).empty()) << "a zero length ends the walk";
}

TEST(MediaInfo, GifAndWebpSizesAreRead) {
    EXPECT_EQ(media_info("GIF89a" + little_endian(32, 2) + little_endian(16, 2) + std::string(4, '\0')),
              (nlohmann::json{{"width", 32}, {"height", 16}}));
    const std::string vp8x = "RIFF" + little_endian(30, 4) + "WEBPVP8X" + little_endian(10, 4) + std::string(4, '\0') +
                             little_endian(99, 3) + little_endian(49, 3);
    EXPECT_EQ(media_info(vp8x), (nlohmann::json{{"width", 100}, {"height", 50}}));
}

TEST(MediaInfo, AWavsDurationIsItsDataOverItsByteRate) {
    // 8 kHz mono 16-bit: 16000 bytes a second; 40000 bytes of data are 2.5 s.
    const std::string fmt = "fmt " + little_endian(16, 4) + little_endian(1, 2) + little_endian(1, 2) +
                            little_endian(8000, 4) + little_endian(16000, 4) + little_endian(2, 2) +
                            little_endian(16, 2);
    const std::string wav = "RIFF" + little_endian(36 + 40000, 4) + "WAVE" + fmt + "data" + little_endian(40000, 4);
    EXPECT_EQ(media_info(wav), (nlohmann::json{{"duration_s", 2.5}}));
}

TEST(MediaInfo, OtherFilesSayNothing) {
    EXPECT_TRUE(media_info("glTF\x02\0\0\0").empty());
    EXPECT_TRUE(media_info("").empty());
}

} // namespace
} // namespace atelier::api
