// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/records.h"

namespace atelier::store {

/// Internal: opaque page cursors. A cursor names the last row of the previous page by its sort
/// key; it is hex so that it travels through URLs untouched and nobody is tempted to parse it.

/// A sort key of (created_at, id), for tables keyed by text ids.
struct TimeKey {
    std::int64_t created_at = 0;
    std::string id;
};

[[nodiscard]] std::string encode_cursor(const TimeKey& key);
[[nodiscard]] std::string encode_cursor(std::int64_t id);
[[nodiscard]] Result<TimeKey> decode_time_cursor(std::string_view cursor);
[[nodiscard]] Result<std::int64_t> decode_id_cursor(std::string_view cursor);

/// The page size a request asks for: 0 → the default, otherwise 1..kMaxPageLimit.
[[nodiscard]] Result<int> page_limit(const PageRequest& page);

} // namespace atelier::store
