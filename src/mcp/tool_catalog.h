// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcp/reply.h"

namespace atelier::mcp {

/// The name of the argument that carries a stateless client's session handle (2026-07-28: the
/// protocol keeps no session, so the handle open_project returns travels as an argument).
inline constexpr std::string_view kSessionArgument = "session";

/// The built-in tools (projects, sessions, versions, viewport) as MCP Tool objects. Stateless
/// clients see a `session` argument on those that act on an open project.
[[nodiscard]] nlohmann::json builtin_tools(ResultStyle style);
[[nodiscard]] bool is_builtin_tool(std::string_view name);

/// One engine tool (a registry `Tool::to_json()` object) as an MCP Tool: its JSON Schema as
/// `inputSchema` (plus a required `session` for stateless clients), a title, a description from
/// the manifest's description, usage and examples, and read-only/destructive hints.
[[nodiscard]] nlohmann::json engine_tool(const nlohmann::json& tool, ResultStyle style);

/// The tool's `title` when the registry gives one, else from its names: "create_object" of addon
/// "scene" → "Create object (scene)".
[[nodiscard]] std::string tool_title(const nlohmann::json& tool);
/// The manifest's description, then "Usage: …", then the examples.
[[nodiscard]] std::string describe(const nlohmann::json& tool);

} // namespace atelier::mcp
