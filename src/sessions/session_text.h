#pragma once

#include <string>

#include <fmt/format.h>

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

} // namespace atelier::sessions
