// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace atelier::agent {

/// How model requests are retried (DESIGN §6). Pure functions: tests pass the randomness in.
struct RetryPolicy {
    int max_retries = 2;
    std::chrono::milliseconds base{500};
    std::chrono::milliseconds cap{8'000};
    /// The longest wait a server may ask for with retry-after before the hub gives up instead.
    std::chrono::milliseconds max_retry_after{60'000};
};

/// 408, 409, 429, 5xx and 529 may pass on a second try; everything else (400, 401, 403, 404,
/// 413, ...) will not.
[[nodiscard]] bool retryable_status(int status);

/// The wait a response asks for: `retry-after-ms` (milliseconds) first, else `retry-after` in
/// seconds. `headers` have lower-case names. nullopt when neither is present and readable.
[[nodiscard]] std::optional<std::chrono::milliseconds> retry_after(const std::map<std::string, std::string>& headers);

/// The wait before retry number `retry` (0 for the first): base × 2^retry, capped, with jitter
/// over the upper half (`random01` in [0, 1) picks the point).
[[nodiscard]] std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double random01);

} // namespace atelier::agent
