// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace atelier::api {

/// Counts failed password sign-ins per key (a client address, or an address and a user name) and
/// says how long a key must wait once it has failed `max_failures` times within `window`. Only
/// failures count: a right password is never slowed down until the key has failed too often.
///
/// Thread-safety: every method may be called from any thread.
class LoginThrottle {
public:
    struct Limit {
        std::size_t max_failures = 5;
        std::chrono::seconds window{300};
    };

    explicit LoginThrottle(const Clock& clock) : m_clock(clock) {}

    /// Zero when `key` may try now; else how long until its oldest counted failure expires.
    [[nodiscard]] std::chrono::seconds retry_after(std::string_view key, const Limit& limit);
    void record_failure(std::string_view key, const Limit& limit);
    /// After a successful sign-in: the key's failures no longer count.
    void forget(std::string_view key);

private:
    using Failures = std::deque<std::chrono::steady_clock::time_point>;
    /// Drops failures older than the window; unlocked callers only.
    static void expire(Failures& failures, std::chrono::steady_clock::time_point now, const Limit& limit);

    /// Past this many keys, keys without a recent failure are dropped, so that a stream of
    /// invented names cannot grow the map without bound.
    static constexpr std::size_t kPruneAbove = 4096;

    const Clock& m_clock;
    std::mutex m_mutex;
    std::map<std::string, Failures, std::less<>> m_failures;
};

} // namespace atelier::api
