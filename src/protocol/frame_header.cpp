// SPDX-License-Identifier: Apache-2.0
#include "protocol/frame_header.h"

#include <algorithm>

namespace atelier::protocol {
namespace {

// Byte-by-byte so the layout is little-endian whatever the host's byte order is.
void put_u16(char* out, std::uint16_t value) {
    out[0] = static_cast<char>(value & 0xFFu);
    out[1] = static_cast<char>((value >> 8) & 0xFFu);
}

void put_u32(char* out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        out[i] = static_cast<char>((value >> (8 * i)) & 0xFFu);
    }
}

std::uint32_t byte_at(std::string_view bytes, std::size_t index) {
    return static_cast<unsigned char>(bytes[index]);
}

std::uint16_t get_u16(std::string_view bytes, std::size_t offset) {
    return static_cast<std::uint16_t>(byte_at(bytes, offset) | (byte_at(bytes, offset + 1) << 8));
}

std::uint32_t get_u32(std::string_view bytes, std::size_t offset) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        value |= byte_at(bytes, offset + i) << (8 * i);
    }
    return value;
}

} // namespace

std::array<char, kFrameHeaderSize> encode_frame_header(const FrameHeader& header) {
    std::array<char, kFrameHeaderSize> bytes{};
    std::copy(kFrameMagic.begin(), kFrameMagic.end(), bytes.begin());
    put_u32(bytes.data() + 4, header.seq);
    put_u16(bytes.data() + 8, header.width);
    put_u16(bytes.data() + 10, header.height);
    bytes[12] = static_cast<char>(header.codec);
    return bytes;
}

std::string encode_frame(const FrameHeader& header, std::string_view image) {
    auto head = encode_frame_header(header);
    std::string frame;
    frame.reserve(kFrameHeaderSize + image.size());
    frame.append(head.data(), head.size());
    frame.append(image);
    return frame;
}

Result<FrameHeader> decode_frame_header(std::string_view frame) {
    if (frame.size() < kFrameHeaderSize) {
        return fail(ErrorCode::ProtocolError, "binary frame of " + std::to_string(frame.size()) +
                                                  " bytes is shorter than the 16-byte frame header");
    }
    if (!std::equal(kFrameMagic.begin(), kFrameMagic.end(), frame.begin())) {
        return fail(ErrorCode::ProtocolError, "binary frame does not start with the magic \"AVF1\"");
    }
    FrameHeader header;
    header.seq = get_u32(frame, 4);
    header.width = get_u16(frame, 8);
    header.height = get_u16(frame, 10);
    const auto codec = static_cast<std::uint8_t>(frame[12]);
    if (codec < static_cast<std::uint8_t>(FrameCodec::Jpeg) || codec > static_cast<std::uint8_t>(FrameCodec::Png)) {
        return fail(ErrorCode::ProtocolError,
                    "binary frame has unknown codec " + std::to_string(codec) + " (known: 1 JPEG, 2 WebP, 3 PNG)");
    }
    header.codec = static_cast<FrameCodec>(codec);
    if (header.width == 0 || header.height == 0) {
        return fail(ErrorCode::ProtocolError, "binary frame has a zero width or height");
    }
    return header;
}

std::string_view frame_codec_mime_type(FrameCodec codec) {
    switch (codec) {
    case FrameCodec::Jpeg:
        return "image/jpeg";
    case FrameCodec::WebP:
        return "image/webp";
    case FrameCodec::Png:
        return "image/png";
    }
    return "application/octet-stream";
}

} // namespace atelier::protocol
