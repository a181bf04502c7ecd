// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace atelier::sessions {

/// The short form of an id in log lines.
inline std::string short_id(const std::string& id) {
    return id.substr(0, 8);
}

/// A command for a session this user does not have (none yet, over, or another user's).
inline Error no_session(const std::string& session_id) {
    return Error{ErrorCode::NotFound,
                 session_id.empty() ? "send session:start first" : fmt::format("no session {}", session_id)};
}

/// A version's message for a direct command: what happened, readable in the versions list
/// ("add_primitive shape=monkey location=0,0,1", not "tool modeling__add_primitive"). The tool's
/// name without its addon prefix, then its first few scalar or vector arguments, at most ~120
/// characters.
inline std::string tool_label(const std::string& tool, const nlohmann::json& arguments) {
    const auto separator = tool.rfind("__");
    std::string label = separator == std::string::npos ? tool : tool.substr(separator + 2);
    if (!arguments.is_object()) {
        return label;
    }
    int shown = 0;
    for (const auto& [key, value] : arguments.items()) {
        std::string text;
        if (value.is_string()) {
            text = value.get<std::string>();
            if (text.find('\n') != std::string::npos || text.size() > 32) {
                continue; // code or file contents say nothing in a one-line label
            }
        } else if (value.is_number() || value.is_boolean()) {
            text = value.dump();
        } else if (value.is_array() && value.size() <= 4) {
            for (const auto& item : value) {
                if (!item.is_number()) {
                    text.clear();
                    break;
                }
                text += (text.empty() ? "" : ",") + item.dump();
            }
        }
        if (text.empty()) {
            continue;
        }
        label += fmt::format(" {}={}", key, text);
        if (++shown == 4 || label.size() > 120) {
            break;
        }
    }
    return label;
}

} // namespace atelier::sessions
