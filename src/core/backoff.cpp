// SPDX-License-Identifier: Apache-2.0
#include "core/backoff.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace atelier {

std::chrono::milliseconds jittered_backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, int doublings,
                                           double random01) {
    const double raw = static_cast<double>(base.count()) * std::pow(2.0, std::clamp(doublings, 0, 30));
    const double capped = std::min(raw, static_cast<double>(cap.count()));
    const double jittered = capped / 2 + capped / 2 * std::clamp(random01, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(jittered));
}

std::chrono::milliseconds jittered_backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                           int doublings) {
    thread_local std::mt19937 random{std::random_device{}()};
    return jittered_backoff(base, cap, doublings, std::uniform_real_distribution<double>(0.0, 1.0)(random));
}

} // namespace atelier
