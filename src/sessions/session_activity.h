// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace atelier::sessions {

/// The session's recent commands, whoever ran them (tabs, MCP clients): what `session:ready`
/// hands a tab that joins or reloads, so its "Recent commands" list survives a reload
/// (docs/protocol.md). Bounded: the newest kKeep entries. Lives as long as its session.
///
/// Thread-safety: every member may be called from any thread (its own mutex, never held while
/// calling out).
class ActivityLog {
public:
    static constexpr std::size_t kKeep = 20;

    /// Adds one finished command (see activity_entry), dropping the oldest past kKeep.
    void add(nlohmann::json entry);
    /// The entries, newest first.
    [[nodiscard]] nlohmann::json list() const;

private:
    mutable std::mutex m_mutex;
    std::deque<nlohmann::json> m_entries;
};

/// One entry from a command's `command:result` payload: `{id, tool, label, ok, at, by,
/// duration_ms?, version?, error?, text?}`. `id` is the request id the client sent (so a reloaded
/// tab recognises its own commands), `label` what happened in words (tool_label), `at` the time it
/// finished (ISO 8601, UTC), `text` the result's text, at most 500 characters. Images and data are
/// left out (they can be large).
[[nodiscard]] nlohmann::json activity_entry(const std::string& id, const std::string& label,
                                            const nlohmann::json& result);

} // namespace atelier::sessions
