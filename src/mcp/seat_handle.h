// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/ids.h"

namespace atelier::mcp {

/// A stateless seat's handle (the `session` argument of the 2026-07-28 era) names the project open
/// in it: `<project-id>.<24 random hex digits>`. So any hub of a cluster can tell where a call
/// belongs (the project's owner) and carry on a seat it has never seen (docs/scaling.md "MCP").
/// The random part makes handles unguessable; a seat also belongs to one user.
[[nodiscard]] inline std::string new_seat_handle(const std::string& project_id) {
    return project_id + "." + random_hex(12);
}

/// The project a seat handle names; nullopt when `handle` is not one (a project id of 1–128
/// letters, digits, '-' or '_', a dot, 24 lowercase hex digits).
[[nodiscard]] inline std::optional<std::string> seat_handle_project(std::string_view handle) {
    constexpr std::size_t kRandom = 24;
    if (handle.size() < kRandom + 2 || handle[handle.size() - kRandom - 1] != '.') {
        return std::nullopt;
    }
    const std::string_view project = handle.substr(0, handle.size() - kRandom - 1);
    const std::string_view random = handle.substr(handle.size() - kRandom);
    if (project.size() > 128) {
        return std::nullopt;
    }
    for (const char c : project) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            return std::nullopt;
        }
    }
    for (const char c : random) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return std::nullopt;
        }
    }
    return std::string(project);
}

} // namespace atelier::mcp
