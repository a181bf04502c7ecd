// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace atelier::api {

/// What a file's first bytes say about it, cheaply and without decoding: `{"width", "height"}`
/// for PNG, JPEG (its first SOFn marker), GIF and WebP (VP8, VP8L, VP8X) images, `{"duration_s"}`
/// for PCM WAV (its `fmt ` and `data` chunks). An empty object for anything else or anything
/// malformed; never reads past `bytes`.
[[nodiscard]] nlohmann::json media_info(std::string_view bytes);

} // namespace atelier::api
