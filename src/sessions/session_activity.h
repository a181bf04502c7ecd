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
/// Whether a command joins the session's recent commands.
enum class ActivityRecording { Recorded, Unrecorded };

class ActivityLog {
public:
    static constexpr std::size_t kKeep = 20;

    /// Adds one finished command (see activity_entry), dropping the oldest past kKeep; unless its
    /// id was left out.
    void add(nlohmann::json entry);
    /// The command with this request id is not to be recorded (`command:send {quiet: true}`).
    /// Empty ids are ignored; at most kKeep ids are remembered (the oldest is forgotten).
    void leave_out(const std::string& request_id);
    /// The entries, newest first.
    [[nodiscard]] nlohmann::json list() const;

private:
    mutable std::mutex m_mutex;
    std::deque<nlohmann::json> m_entries;
    std::deque<std::string> m_left_out;
};

/// One entry from a command's `command:result` payload: `{id, tool, label, ok, at, by,
/// duration_ms?, version?, error?, text?}`. `id` is the request id the client sent (so a reloaded
/// tab recognises its own commands), `label` what happened in words (tool_label), `at` the time it
/// finished (ISO 8601, UTC), `text` the result's text, at most 500 characters. Images and data are
/// left out (they can be large).
[[nodiscard]] nlohmann::json activity_entry(const std::string& id, const std::string& label,
                                            const nlohmann::json& result);

} // namespace atelier::sessions
