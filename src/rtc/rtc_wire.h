// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace atelier::rtc {

/// One message between the hub and the `atelier-rtc` helper, on the Unix socket the hub listens on
/// (docs/viewport.md lists the operations). Framing, all integers little-endian:
///
///   offset 0  u32 header_size  bytes of the JSON header, 1 ..= kMaxHeaderBytes
///   offset 4  u32 body_size    bytes of the body, 0 ..= kMaxBodyBytes
///   offset 8  the JSON header (an object with an "op" string), then the body (a JPEG for "frame")
///
/// Binary bodies keep a viewport frame out of JSON: the hub hands the helper the JPEG it already has.
struct WireMessage {
    nlohmann::json header;
    std::string body;

    [[nodiscard]] std::string op() const { return header.value("op", std::string()); }
};

inline constexpr std::size_t kWirePrefixSize = 8;
inline constexpr std::uint32_t kMaxHeaderBytes = 1 << 20;
inline constexpr std::uint32_t kMaxBodyBytes = 16 << 20;

/// The bytes of one message.
[[nodiscard]] std::string encode_wire_message(const nlohmann::json& header, std::string_view body = {});

/// Reads the sizes in the 8-byte prefix; fails with ProtocolError when a size is out of range.
struct WireSizes {
    std::uint32_t header = 0;
    std::uint32_t body = 0;
};
[[nodiscard]] Result<WireSizes> decode_wire_prefix(std::string_view prefix);

/// Parses a header (the bytes after the prefix); fails with ProtocolError unless it is a JSON object
/// with a non-empty "op" string.
[[nodiscard]] Result<nlohmann::json> decode_wire_header(std::string_view header);

/// Blocking I/O on a stream socket: one whole message, or an error (end of stream: Unavailable).
/// Thread-safety: one reader and one writer at a time per descriptor (callers serialise writes).
[[nodiscard]] Result<WireMessage> read_wire_message(int fd);
[[nodiscard]] Result<void> write_wire_message(int fd, const nlohmann::json& header, std::string_view body = {});

} // namespace atelier::rtc
