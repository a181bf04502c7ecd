// SPDX-License-Identifier: Apache-2.0
#include "rtc/encoder_settings.h"

#include <algorithm>

namespace atelier::rtc {

std::int64_t bitrate_ceiling_kbps(std::int64_t configured_kbps, int width, int height) {
    if (width <= 0 || height <= 0) {
        return configured_kbps;
    }
    // Bits per pixel stay the same: a quarter of the pixels, a quarter of the ceiling.
    const auto pixels = static_cast<std::int64_t>(width) * height;
    const auto scaled = configured_kbps * std::min(pixels, kReferencePixels) / kReferencePixels;
    return std::max(scaled, std::min(kMinimumCeilingKbps, configured_kbps));
}

} // namespace atelier::rtc
