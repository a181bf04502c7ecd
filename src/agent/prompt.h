#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/wire_format.h"
#include "registry/registry.h"

namespace atelier::agent {

/// What the system prompt is made of (DESIGN §6).
struct PromptInputs {
    std::string project_name;
    std::string engine_kind;
    std::string instructions; ///< the engine's `instructions` from engine/hello
    std::shared_ptr<const registry::RegistrySnapshot> registry;
    nlohmann::json scene; ///< the last `scene/changed` summary; null when none came
};

/// The system prompt: the role, the project, the engine's instructions, each addon's
/// agent_description and context_hints, a compact scene summary and the house rules for tool
/// use. Deterministic for equal inputs.
[[nodiscard]] std::string build_system_prompt(const PromptInputs& inputs);

/// The scene as compact JSON, cut to `limit` characters with a note saying so.
[[nodiscard]] std::string summarize_scene(const nlohmann::json& scene, std::size_t limit = 4000);

/// Every tool of the snapshot as the model sees it: provider name, description (+ usage and
/// examples), input schema.
[[nodiscard]] std::vector<ToolDefinition> tool_definitions(const registry::RegistrySnapshot& snapshot);

} // namespace atelier::agent
