// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace atelier::registry {

/// Provider APIs accept tool names matching `^[a-zA-Z0-9_-]{1,64}$`.
inline constexpr std::size_t kMaxProviderToolNameLength = 64;

/// `<addon>__<tool>` with every character outside [A-Za-z0-9_-] replaced by `_`, cut to 64
/// characters. Two tools may get the same base name; assign_provider_names resolves that.
[[nodiscard]] std::string base_provider_name(std::string_view addon_id, std::string_view tool_name);

/// A tool as its manifest names it.
struct ToolKey {
    std::string addon_id;
    std::string tool_name;
};

/// One unique provider name per key, in the order of `keys`. Deterministic and independent of the
/// order of `keys`: keys are ranked by (addon_id, tool_name); among keys sharing a base name, the
/// first in that ranking keeps it and each other one gets `_` and eight hex digits of the FNV-1a
/// hash of "addon_id/tool_name" appended (the base cut so the whole stays within 64 characters),
/// and `_2`, `_3`... after that in the astronomically unlikely case that this is taken too.
/// Precondition: keys are distinct.
[[nodiscard]] std::vector<std::string> assign_provider_names(const std::vector<ToolKey>& keys);

} // namespace atelier::registry
