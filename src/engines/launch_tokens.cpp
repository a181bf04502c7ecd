// SPDX-License-Identifier: Apache-2.0
#include "engines/launch_tokens.h"

#include "core/ids.h"

namespace atelier::engines {

std::string LaunchTokens::issue(LaunchGrant grant) {
    std::string token = "launch-" + random_hex(24);
    const auto now = std::chrono::steady_clock::now();
    const std::lock_guard lock(m_mutex);
    std::erase_if(m_tokens, [now](const auto& entry) { return entry.second.expires <= now; });
    m_tokens.emplace(token, Entry{std::move(grant), now + m_lifetime});
    return token;
}

std::optional<LaunchGrant> LaunchTokens::consume(const std::string& token) {
    const std::lock_guard lock(m_mutex);
    // Tokens are looked up by value: they are random and long, and a map lookup compares
    // whole keys, so timing reveals nothing useful about a near miss.
    const auto it = m_tokens.find(token);
    if (it == m_tokens.end()) {
        return std::nullopt;
    }
    auto entry = std::move(it->second);
    m_tokens.erase(it);
    if (entry.expires <= std::chrono::steady_clock::now()) {
        return std::nullopt;
    }
    return std::move(entry.grant);
}

} // namespace atelier::engines
