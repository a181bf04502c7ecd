// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace atelier::protocol {

/// The image format of a binary viewport frame.
enum class FrameCodec : std::uint8_t {
    Jpeg = 1,
    WebP = 2,
    Png = 3,
};

/// The 16-byte header in front of every binary viewport frame, on both the engine and the browser
/// WebSocket. Layout (all integers little-endian; docs/protocol.md):
///
///   offset 0  u8[4] magic   "AVF1" (0x41 0x56 0x46 0x31): atelier viewport frame, layout 1
///   offset 4  u32   seq     frame number from the producer, increasing; wraps at 2^32
///   offset 8  u16   width   pixels, > 0
///   offset 10 u16   height  pixels, > 0
///   offset 12 u8    codec   FrameCodec: 1 JPEG, 2 WebP, 3 PNG
///   offset 13 u8[3] reserved, written as 0 and ignored when read
///   offset 16       the encoded image, to the end of the frame
struct FrameHeader {
    std::uint32_t seq = 0;
    std::uint16_t width = 0;
    std::uint16_t height = 0;
    FrameCodec codec = FrameCodec::Jpeg;
};

inline constexpr std::size_t kFrameHeaderSize = 16;
inline constexpr std::array<char, 4> kFrameMagic{'A', 'V', 'F', '1'};

/// The 16 header bytes for `header`.
[[nodiscard]] std::array<char, kFrameHeaderSize> encode_frame_header(const FrameHeader& header);

/// Header followed by the image bytes: a complete binary frame.
[[nodiscard]] std::string encode_frame(const FrameHeader& header, std::string_view image);

/// Reads the header at the start of a binary frame; the image is `frame.substr(kFrameHeaderSize)`.
/// Fails with ProtocolError when the frame is shorter than the header, the magic is wrong, the
/// codec is unknown or a dimension is zero.
[[nodiscard]] Result<FrameHeader> decode_frame_header(std::string_view frame);

/// "image/jpeg", "image/webp" or "image/png".
[[nodiscard]] std::string_view frame_codec_mime_type(FrameCodec codec);

} // namespace atelier::protocol
