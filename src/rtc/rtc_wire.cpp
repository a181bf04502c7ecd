// SPDX-License-Identifier: Apache-2.0
#include "rtc/rtc_wire.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace atelier::rtc {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) {
        out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

std::uint32_t get_u32(std::string_view bytes) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) {
        value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    }
    return value;
}

Result<void> read_exactly(int fd, char* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        const auto got = ::read(fd, data + done, size - done);
        if (got == 0) {
            return fail(ErrorCode::Unavailable, "the peer closed the rtc socket");
        }
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail(ErrorCode::Unavailable, fmt::format("reading the rtc socket: {}", std::strerror(errno)));
        }
        done += static_cast<std::size_t>(got);
    }
    return {};
}

} // namespace

std::string encode_wire_message(const nlohmann::json& header, std::string_view body) {
    const auto text = header.dump();
    std::string out;
    out.reserve(kWirePrefixSize + text.size() + body.size());
    put_u32(out, static_cast<std::uint32_t>(text.size()));
    put_u32(out, static_cast<std::uint32_t>(body.size()));
    out += text;
    out += body;
    return out;
}

Result<WireSizes> decode_wire_prefix(std::string_view prefix) {
    if (prefix.size() < kWirePrefixSize) {
        return fail(ErrorCode::ProtocolError, "rtc message: the prefix needs 8 bytes");
    }
    WireSizes sizes{get_u32(prefix.substr(0, 4)), get_u32(prefix.substr(4, 4))};
    if (sizes.header == 0 || sizes.header > kMaxHeaderBytes) {
        return fail(ErrorCode::ProtocolError,
                    fmt::format("rtc message: header size {} is outside 1..{}", sizes.header, kMaxHeaderBytes));
    }
    if (sizes.body > kMaxBodyBytes) {
        return fail(ErrorCode::ProtocolError,
                    fmt::format("rtc message: body size {} is over {}", sizes.body, kMaxBodyBytes));
    }
    return sizes;
}

Result<nlohmann::json> decode_wire_header(std::string_view header) {
    auto parsed = nlohmann::json::parse(header, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return fail(ErrorCode::ProtocolError, "rtc message: the header is not a JSON object");
    }
    if (!parsed.contains("op") || !parsed["op"].is_string() || parsed["op"].get<std::string>().empty()) {
        return fail(ErrorCode::ProtocolError, "rtc message: the header has no 'op' string");
    }
    return parsed;
}

Result<WireMessage> read_wire_message(int fd) {
    char prefix[kWirePrefixSize];
    if (auto read = read_exactly(fd, prefix, sizeof prefix); !read) {
        return tl::unexpected(read.error());
    }
    auto sizes = decode_wire_prefix({prefix, sizeof prefix});
    if (!sizes) {
        return tl::unexpected(sizes.error());
    }
    std::string header(sizes->header, '\0');
    if (auto read = read_exactly(fd, header.data(), header.size()); !read) {
        return tl::unexpected(read.error());
    }
    WireMessage message;
    message.body.resize(sizes->body);
    if (auto read = read_exactly(fd, message.body.data(), message.body.size()); !read) {
        return tl::unexpected(read.error());
    }
    auto parsed = decode_wire_header(header);
    if (!parsed) {
        return tl::unexpected(parsed.error());
    }
    message.header = std::move(*parsed);
    return message;
}

Result<void> write_wire_message(int fd, const nlohmann::json& header, std::string_view body) {
    const auto bytes = encode_wire_message(header, body);
    std::size_t done = 0;
    while (done < bytes.size()) {
        // MSG_NOSIGNAL: a helper that died must not take the hub down with SIGPIPE.
        const auto sent = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail(ErrorCode::Unavailable, fmt::format("writing the rtc socket: {}", std::strerror(errno)));
        }
        done += static_cast<std::size_t>(sent);
    }
    return {};
}

} // namespace atelier::rtc
