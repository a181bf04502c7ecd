// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/wire_format.h"
#include "registry/registry.h"

namespace atelier::agent {

/// What the static system prompt is made of (DESIGN §6): nothing in it changes during a turn, so
/// a provider's prompt cache serves it (with the tools before it) from the second step on.
struct PromptInputs {
    std::string project_name;
    std::string engine_kind;
    std::string instructions; ///< the engine's `instructions` from engine/hello
    std::shared_ptr<const registry::RegistrySnapshot> registry;
    int max_steps = 0; ///< model requests per turn; 0: not said
};

/// The static system prompt: the role, the project, the engine's instructions, each addon's
/// agent_description and context_hints, which tools change nothing (every other one changes the
/// scene, one undo step per call), that one step may call several tools, the step limit, and
/// the house rules for tool use. Deterministic for equal inputs. The scene is not in it: see
/// build_context().
[[nodiscard]] std::string build_system_prompt(const PromptInputs& inputs);

/// What changes from step to step, sent after the transcript (ModelRequest::context): the scene
/// as summarize_scene() writes it, after what other clients (tabs, MCP clients) changed in the
/// project since the previous step, one line each ("tab 3 ran create_object name=cube"), so the
/// model neither undoes nor repeats their work.
[[nodiscard]] std::string build_context(const nlohmann::json& scene,
                                        const registry::RegistrySnapshot* registry = nullptr,
                                        const std::vector<std::string>& changes_by_others = {});

/// The scene by priority, within about `limit` characters: the scene's own settings (name,
/// current frame, frame range, render engine, resolution, view transform …), the world, the
/// camera and the lights first, then the other small entries, then the objects one per line
/// until the budget is spent, then "N more objects: call <listing tool>". A string scene is cut
/// with a note.
[[nodiscard]] std::string summarize_scene(const nlohmann::json& scene, std::size_t limit = 4000,
                                          const std::string& list_tool = "");

/// Every tool of the snapshot as the model sees it: provider name, description (+ usage and
/// examples), input schema.
[[nodiscard]] std::vector<ToolDefinition> tool_definitions(const registry::RegistrySnapshot& snapshot);

} // namespace atelier::agent
