// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/wire_format.h"
#include "core/result.h"
#include "engines/engine_link.h"

namespace atelier::agent {

/// What the hub offers the agent besides the engine's tools. The app fills it from the api
/// module's hub tools (api/hub_tools.h: imports from other projects and the asset library) and
/// its asset listing, so the agent runs the same typed services as REST and MCP. Every member
/// may be empty (tests of this module alone, a hub without them). Set once before serving;
/// the functions are called on turn threads, several at once.
struct HubServices {
    /// Tools the hub answers itself, offered to the model after the engine's tools. Their names
    /// never contain "__", so they never collide with an engine's `<addon>__<tool>`.
    std::vector<ToolDefinition> tools;
    /// Runs hub tool `name` for `user_id` in project `project_id` (arguments checked by the callee);
    /// `done` is called once, maybe on another thread, with the structured result.
    std::function<void(const std::string& user_id, const std::string& project_id, const std::string& name,
                       const nlohmann::json& input, std::function<void(Result<nlohmann::json>)> done)>
        call;
    /// The project's asset files at its current version, `[{"path", "kind", "size", …}]` (see
    /// asset_prompt.h for what the prompt makes of them).
    std::function<Result<nlohmann::json>(const std::string& user_id, const std::string& project_id)> assets;
    /// Keeps a turn's attachments (`message:send`'s `[{type, media_type, data (base64), name?}]`)
    /// as files of the project's asset folder, one version; `done` gets `{"paths", "version"}`.
    std::function<void(const std::string& user_id, const std::string& project_id, const nlohmann::json& attachments,
                       std::function<void(Result<nlohmann::json>)> done)>
        keep_attachments;

    /// Whether `name` is one of `tools`.
    [[nodiscard]] bool offers(std::string_view name) const;
};

/// The engine's tools, then the hub's (the order prompt caching keeps: both fixed for a turn).
[[nodiscard]] std::vector<ToolDefinition> with_hub_tools(std::vector<ToolDefinition> engine_tools,
                                                         const HubServices& hub);

/// The assets section of a step's context (asset_prompt.h), "" when there are none or no
/// listing; a listing that fails is logged and left out.
[[nodiscard]] std::string assets_context(const HubServices& hub, const std::string& user_id,
                                         const std::string& project_id);

/// Keeps a turn's attachments and waits: the note the model reads after the user's text
/// ("The attached files are kept in the project as …"), or "" when there is nothing to keep.
[[nodiscard]] std::string keep_turn_attachments(const HubServices& hub, const std::string& user_id,
                                                const std::string& project_id, const nlohmann::json& attachments);

/// Runs hub tool `name` and waits for it (turn threads may block): its result as an engine
/// tool's would be, the structured result as text and data. Never mutating for the turn: an
/// import commits its own version.
[[nodiscard]] Result<engines::ToolCallResult> run_hub_tool(const HubServices& hub, const std::string& user_id,
                                                           const std::string& project_id, const std::string& name,
                                                           const nlohmann::json& input);

} // namespace atelier::agent
