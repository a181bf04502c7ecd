// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace atelier::engines {

/// What a launch token entitles an engine to: its kind and, when launched for one, the session.
struct LaunchGrant {
    std::string kind;
    std::string session_id;
};

/// One-time tokens handed to engines at launch (ATELIER_ENGINE_TOKEN). An engine proves it was
/// started by this hub by sending its token in `engine/hello`; a token works once and expires.
/// Thread-safe.
class LaunchTokens {
public:
    explicit LaunchTokens(std::chrono::seconds lifetime = std::chrono::minutes(10)) : m_lifetime(lifetime) {}

    [[nodiscard]] std::string issue(LaunchGrant grant);
    /// The grant for `token` if it was issued, is unused and has not expired; the token is used up.
    [[nodiscard]] std::optional<LaunchGrant> consume(const std::string& token);

private:
    struct Entry {
        LaunchGrant grant;
        std::chrono::steady_clock::time_point expires;
    };
    std::chrono::seconds m_lifetime;
    std::mutex m_mutex;
    std::map<std::string, Entry> m_tokens;
};

} // namespace atelier::engines
