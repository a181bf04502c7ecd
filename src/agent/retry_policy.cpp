// SPDX-License-Identifier: Apache-2.0
#include "agent/retry_policy.h"

#include "core/backoff.h"

#include <cmath>
#include <cstdlib>

namespace atelier::agent {
namespace {

std::optional<double> number(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value) || value < 0) {
        return std::nullopt;
    }
    return value;
}

} // namespace

bool retryable_status(int status) {
    return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

std::optional<std::chrono::milliseconds> retry_after(const std::map<std::string, std::string>& headers) {
    if (const auto it = headers.find("retry-after-ms"); it != headers.end()) {
        if (const auto value = number(it->second)) {
            return std::chrono::milliseconds(static_cast<std::int64_t>(*value));
        }
    }
    if (const auto it = headers.find("retry-after"); it != headers.end()) {
        // An HTTP date is allowed too; servers of model APIs send seconds, so a date is ignored.
        if (const auto value = number(it->second)) {
            return std::chrono::milliseconds(static_cast<std::int64_t>(*value * 1000));
        }
    }
    return std::nullopt;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double random01) {
    return jittered_backoff(policy.base, policy.cap, retry, random01);
}

} // namespace atelier::agent
