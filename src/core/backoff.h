// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>

namespace atelier {

/// The one retry schedule of the hub (DESIGN §5, §6): `base` × 2^`doublings`, capped at `cap`,
/// then jittered uniformly over its upper half, so that many clients retrying after one hiccup
/// spread out. `random01` in [0, 1] picks the point (tests pass it in).
[[nodiscard]] std::chrono::milliseconds jittered_backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                                         int doublings, double random01);
/// The same with a thread-local random source.
[[nodiscard]] std::chrono::milliseconds jittered_backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                                         int doublings);

} // namespace atelier
