#include "agent/prompt.h"

#include <fmt/format.h>

namespace atelier::agent {

std::string summarize_scene(const nlohmann::json& scene, std::size_t limit) {
    if (scene.is_null()) {
        return "(no scene reported yet)";
    }
    auto text = scene.is_string() ? scene.get<std::string>()
                                  : scene.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > limit) {
        text = fmt::format("{}… [cut: {} more characters; use a listing tool for the rest]", text.substr(0, limit),
                           text.size() - limit);
    }
    return text;
}

std::string build_system_prompt(const PromptInputs& inputs) {
    std::string prompt = fmt::format(
        "You are the assistant of atelier, a creative studio. You work on the project \"{}\" inside a live {} "
        "engine by calling its tools; the user watches every step as it happens.\n",
        inputs.project_name, inputs.engine_kind.empty() ? "creative" : inputs.engine_kind);
    if (!inputs.instructions.empty()) {
        prompt += "\n# The engine\n" + inputs.instructions + "\n";
    }
    if (inputs.registry && !inputs.registry->addons.empty()) {
        prompt += "\n# Capabilities\n";
        for (const auto& addon : inputs.registry->addons) {
            prompt += fmt::format("- {} ({}): {}\n", addon.info.name, addon.info.id,
                                  addon.agent_description.empty() ? addon.info.description : addon.agent_description);
            for (const auto& hint : addon.context_hints) {
                prompt += fmt::format("  - {}\n", hint);
            }
        }
    }
    prompt += "\n# The scene now\n" + summarize_scene(inputs.scene) + "\n";
    prompt += "\n# How to work\n"
              "- Act through the tools; do not describe what you would do instead of doing it.\n"
              "- Arguments must match each tool's input schema exactly. When a tool answers with an error, read it, "
              "fix the arguments and try again; do not repeat a call that failed the same way.\n"
              "- When the request is done, answer in one or two sentences saying what changed.\n";
    return prompt;
}

std::vector<ToolDefinition> tool_definitions(const registry::RegistrySnapshot& snapshot) {
    std::vector<ToolDefinition> out;
    out.reserve(snapshot.tools.size());
    for (const auto& tool : snapshot.tools) {
        std::string description = tool->spec.description;
        if (!tool->spec.usage.empty()) {
            description += (description.empty() ? "" : " ") + tool->spec.usage;
        }
        if (!tool->spec.examples.empty()) {
            description += " Examples:";
            for (const auto& example : tool->spec.examples) {
                description += " \"" + example + "\";";
            }
        }
        if (tool->spec.returns_image) {
            description += " Returns an image you can look at.";
        }
        out.push_back({tool->provider_name, description, tool->input_schema});
    }
    return out;
}

} // namespace atelier::agent
