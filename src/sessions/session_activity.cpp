// SPDX-License-Identifier: Apache-2.0
#include "sessions/session_activity.h"

#include <algorithm>
#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace atelier::sessions {

namespace {

constexpr std::size_t kMaxText = 500;

/// The result's text blocks, joined, cut at kMaxText characters (on a UTF-8 boundary).
std::string result_text(const nlohmann::json& content) {
    std::string text;
    if (!content.is_array()) {
        return text;
    }
    for (const auto& block : content) {
        if (block.is_object() && block.value("type", "") == "text" && block.contains("text") &&
            block["text"].is_string()) {
            text += (text.empty() ? "" : "\n") + block["text"].get<std::string>();
        }
    }
    if (text.size() > kMaxText) {
        std::size_t cut = kMaxText;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        text = text.substr(0, cut) + "…";
    }
    return text;
}

} // namespace

void ActivityLog::add(nlohmann::json entry) {
    const std::lock_guard lock(m_mutex);
    const std::string id = entry.value("id", "");
    if (const auto it = std::find(m_left_out.begin(), m_left_out.end(), id); !id.empty() && it != m_left_out.end()) {
        m_left_out.erase(it);
        return;
    }
    m_entries.push_front(std::move(entry));
    while (m_entries.size() > kKeep) {
        m_entries.pop_back();
    }
}

void ActivityLog::leave_out(const std::string& request_id) {
    if (request_id.empty()) {
        return;
    }
    const std::lock_guard lock(m_mutex);
    m_left_out.push_back(request_id);
    while (m_left_out.size() > kKeep) {
        m_left_out.pop_front();
    }
}

nlohmann::json ActivityLog::list() const {
    const std::lock_guard lock(m_mutex);
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& entry : m_entries) {
        entries.push_back(entry);
    }
    return entries;
}

nlohmann::json activity_entry(const std::string& id, const std::string& label, const nlohmann::json& result) {
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    nlohmann::json entry{{"id", id},
                         {"tool", result.value("tool", "")},
                         {"label", label},
                         {"ok", result.value("ok", false)},
                         {"at", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now)}};
    for (const char* field : {"by", "duration_ms", "version", "error", "cancelled"}) {
        if (result.contains(field) && !result[field].is_null()) {
            entry[field] = result[field];
        }
    }
    if (result.contains("save_error")) {
        entry["error"] = {{"code", result.value("save_error_code", "save_failed")},
                          {"message", result.value("save_error", "")}};
    }
    if (auto text = result_text(result.value("content", nlohmann::json())); !text.empty()) {
        entry["text"] = std::move(text);
    }
    return entry;
}

} // namespace atelier::sessions
