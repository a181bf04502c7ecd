// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "protocol/frame_header.h"

namespace atelier::protocol {
namespace {

TEST(FrameHeaderProtocol, WritesTheDocumentedLittleEndianLayout) {
    const auto bytes = encode_frame_header(FrameHeader{0x01020304u, 640, 360, FrameCodec::WebP});
    const unsigned char expected[kFrameHeaderSize] = {'A',  'V',  'F',  '1',  0x04, 0x03, 0x02, 0x01,
                                                      0x80, 0x02, 0x68, 0x01, 0x02, 0x00, 0x00, 0x00};
    for (std::size_t i = 0; i < kFrameHeaderSize; ++i) {
        EXPECT_EQ(static_cast<unsigned char>(bytes[i]), expected[i]) << "byte " << i;
    }
}

TEST(FrameHeaderProtocol, RoundTripsAFrameAndKeepsTheImageBytes) {
    const std::string image("\xff\xd8\xff\xe0jpeg", 8);
    const auto frame = encode_frame(FrameHeader{4000000000u, 1920, 1080, FrameCodec::Jpeg}, image);
    ASSERT_EQ(frame.size(), kFrameHeaderSize + image.size());
    auto header = decode_frame_header(frame);
    ASSERT_TRUE(header.has_value()) << header.error().message;
    EXPECT_EQ(header->seq, 4000000000u);
    EXPECT_EQ(header->width, 1920);
    EXPECT_EQ(header->height, 1080);
    EXPECT_EQ(header->codec, FrameCodec::Jpeg);
    EXPECT_EQ(frame.substr(kFrameHeaderSize), image);
}

TEST(FrameHeaderProtocol, RejectsAFrameShorterThanTheHeader) {
    auto header = decode_frame_header(std::string_view("AVF1\0\0", 6));
    ASSERT_FALSE(header.has_value());
    EXPECT_EQ(header.error().code, ErrorCode::ProtocolError);
}

TEST(FrameHeaderProtocol, RejectsAWrongMagic) {
    auto frame = encode_frame(FrameHeader{1, 2, 2, FrameCodec::Png}, "");
    frame[0] = 'X';
    auto header = decode_frame_header(frame);
    ASSERT_FALSE(header.has_value());
    EXPECT_NE(header.error().message.find("magic"), std::string::npos);
}

TEST(FrameHeaderProtocol, RejectsAnUnknownCodec) {
    auto frame = encode_frame(FrameHeader{1, 2, 2, FrameCodec::Png}, "");
    frame[12] = 9;
    auto header = decode_frame_header(frame);
    ASSERT_FALSE(header.has_value());
    EXPECT_NE(header.error().message.find("codec 9"), std::string::npos);
}

TEST(FrameHeaderProtocol, RejectsAZeroDimension) {
    auto header = decode_frame_header(encode_frame(FrameHeader{1, 0, 2, FrameCodec::Png}, ""));
    EXPECT_FALSE(header.has_value());
}

TEST(FrameHeaderProtocol, IgnoresReservedBytes) {
    auto frame = encode_frame(FrameHeader{5, 2, 2, FrameCodec::Png}, "");
    frame[13] = 1;
    frame[15] = 7;
    EXPECT_TRUE(decode_frame_header(frame).has_value());
}

TEST(FrameHeaderProtocol, NamesTheMimeTypeOfEachCodec) {
    EXPECT_EQ(frame_codec_mime_type(FrameCodec::Jpeg), "image/jpeg");
    EXPECT_EQ(frame_codec_mime_type(FrameCodec::WebP), "image/webp");
    EXPECT_EQ(frame_codec_mime_type(FrameCodec::Png), "image/png");
}

} // namespace
} // namespace atelier::protocol
