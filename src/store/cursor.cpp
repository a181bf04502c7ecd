// SPDX-License-Identifier: Apache-2.0
#include "store/cursor.h"

#include <charconv>

#include <fmt/format.h>

namespace atelier::store {
namespace {

std::string hex(std::string_view text) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() * 2);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        out += kDigits[byte >> 4];
        out += kDigits[byte & 0x0f];
    }
    return out;
}

int digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

Result<std::string> unhex(std::string_view cursor) {
    if (cursor.size() % 2 != 0 || cursor.size() > 512) {
        return fail(ErrorCode::InvalidArgument, "cursor: not a cursor this server issued");
    }
    std::string out;
    out.reserve(cursor.size() / 2);
    for (std::size_t i = 0; i < cursor.size(); i += 2) {
        const int high = digit(cursor[i]);
        const int low = digit(cursor[i + 1]);
        if (high < 0 || low < 0) {
            return fail(ErrorCode::InvalidArgument, "cursor: not a cursor this server issued");
        }
        out += static_cast<char>(high * 16 + low);
    }
    return out;
}

Result<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return fail(ErrorCode::InvalidArgument, "cursor: not a cursor this server issued");
    }
    return value;
}

} // namespace

std::string encode_cursor(const TimeKey& key) {
    return hex(fmt::format("t{}:{}", key.created_at, key.id));
}

std::string encode_cursor(std::int64_t id) {
    return hex(fmt::format("i{}", id));
}

Result<TimeKey> decode_time_cursor(std::string_view cursor) {
    const std::string text = ATELIER_TRY(unhex(cursor));
    const auto colon = text.find(':');
    if (text.empty() || text[0] != 't' || colon == std::string::npos) {
        return fail(ErrorCode::InvalidArgument, "cursor: not a cursor this server issued");
    }
    TimeKey key;
    key.created_at = ATELIER_TRY(parse_integer(std::string_view(text).substr(1, colon - 1)));
    key.id = text.substr(colon + 1);
    return key;
}

Result<std::int64_t> decode_id_cursor(std::string_view cursor) {
    const std::string text = ATELIER_TRY(unhex(cursor));
    if (text.empty() || text[0] != 'i') {
        return fail(ErrorCode::InvalidArgument, "cursor: not a cursor this server issued");
    }
    return parse_integer(std::string_view(text).substr(1));
}

Result<int> page_limit(const PageRequest& page) {
    if (page.limit == 0) {
        return kDefaultPageLimit;
    }
    if (page.limit < 0 || page.limit > kMaxPageLimit) {
        return fail(ErrorCode::InvalidArgument, fmt::format("limit: must be between 1 and {}", kMaxPageLimit));
    }
    return page.limit;
}

} // namespace atelier::store
