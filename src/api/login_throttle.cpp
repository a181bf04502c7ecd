// SPDX-License-Identifier: Apache-2.0
#include "api/login_throttle.h"

namespace atelier::api {

void LoginThrottle::expire(Failures& failures, std::chrono::steady_clock::time_point now, const Limit& limit) {
    while (!failures.empty() && now - failures.front() >= limit.window) {
        failures.pop_front();
    }
}

std::chrono::seconds LoginThrottle::retry_after(std::string_view key, const Limit& limit) {
    const std::lock_guard lock(m_mutex);
    const auto found = m_failures.find(key);
    if (found == m_failures.end()) {
        return std::chrono::seconds(0);
    }
    const auto now = m_clock.now();
    expire(found->second, now, limit);
    if (found->second.size() < limit.max_failures) {
        return std::chrono::seconds(0);
    }
    // Rounded up, so a client that waits exactly this long is let through.
    const auto wait = found->second.front() + limit.window - now;
    return std::chrono::ceil<std::chrono::seconds>(wait);
}

void LoginThrottle::record_failure(std::string_view key, const Limit& limit) {
    const std::lock_guard lock(m_mutex);
    const auto now = m_clock.now();
    if (m_failures.size() > kPruneAbove) {
        for (auto it = m_failures.begin(); it != m_failures.end();) {
            expire(it->second, now, limit);
            it = it->second.empty() ? m_failures.erase(it) : std::next(it);
        }
    }
    auto& failures = m_failures[std::string(key)];
    expire(failures, now, limit);
    failures.push_back(now);
    // More than the limit never changes the answer; keep the memory per key bounded.
    while (failures.size() > limit.max_failures) {
        failures.pop_front();
    }
}

void LoginThrottle::forget(std::string_view key) {
    const std::lock_guard lock(m_mutex);
    if (const auto found = m_failures.find(key); found != m_failures.end()) {
        m_failures.erase(found);
    }
}

} // namespace atelier::api
