// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_context.h"

namespace atelier::api {

/// A tool the hub answers itself, not an engine: the agent offers it to the model after the
/// engine's tools and MCP lists it with its built-ins, and both run it through call_hub_tool(), the
/// same typed services REST uses (import_api, renders_api, assets_api).
struct HubToolSpec {
    std::string name; ///< provider-safe, never with "__" (engine tools are `<addon>__<tool>`)
    std::string title;
    std::string description;
    /// JSON Schema (draft-7 subset) of the arguments. The project worked on is not an argument:
    /// the agent's is its session's, MCP adds `project_id` (default: the open project).
    nlohmann::json input_schema;
    bool mutates = false; ///< makes a version of the project worked on
};

/// The hub tools: list_project_outputs, import_from_project, list_assets, import_asset.
[[nodiscard]] const std::vector<HubToolSpec>& hub_tools();
/// The hub tool called `name`, or null.
[[nodiscard]] const HubToolSpec* find_hub_tool(std::string_view name);

/// Runs hub tool `name` for `user_id` in project `project_id` (the one worked on; empty: none, and
/// the import tools fail with InvalidArgument saying so). The arguments are checked here: an
/// unknown field, a wrong type or a missing one is InvalidArgument naming it. `done` is called once,
/// maybe on another thread, with the tool's structured result:
/// - list_project_outputs `{from_project?}` → `{"projects": [{"id", "name", "kind", "outputs": [renders
///   items]}]}`: that project's outputs, else those of every other project of the user that has some.
/// - import_from_project `{from_project, render | path, rev?, to?}` → `{"path", "version", "url"}`.
/// - list_assets `{kind?}` → `{"assets": [{"path", "kind", "size"}]}` (the local library).
/// - import_asset `{asset, to?}` → `{"path", "version", "url"}`.
void call_hub_tool(ApiContext& api, const std::string& user_id, const std::string& project_id, const std::string& name,
                   const nlohmann::json& arguments, std::function<void(Result<nlohmann::json>)> done);

} // namespace atelier::api
