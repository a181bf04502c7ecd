// SPDX-License-Identifier: Apache-2.0
#include "agent/prompt.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace atelier::agent {
namespace {

std::string compact(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string clip(std::string text, std::size_t limit) {
    if (text.size() > limit) {
        text = fmt::format("{}… [cut: {} more characters]", text.substr(0, limit), text.size() - limit);
    }
    return text;
}

// Summary keys in the order the model needs them: what the scene is and how it renders, then
// what lights and frames it, then the files it may bring in. Engines report what they have;
// absent keys are skipped.
constexpr std::array kHeadKeys{"scene",  "frame_current", "frame",  "frame_range", "fps",
                               "render", "render_engine", "engine", "resolution",  "view_transform",
                               "world",  "camera",        "lights", "assets"};
// Listed last, item by item, as far as the budget goes.
constexpr std::string_view kObjectsKey = "objects";
// Bookkeeping the summary says in its own words: the true length of a list the engine capped.
constexpr std::array kCountKeys{std::pair<std::string_view, std::string_view>{"objects", "object_count"},
                                std::pair<std::string_view, std::string_view>{"assets", "asset_count"}};
constexpr std::array kOmittedKeys{"object_count", "asset_count", "truncated"};
// Room kept for the "… N more objects: call <tool>" line.
constexpr std::size_t kMoreNote = 96;
// No single entry before the objects may crowd out the rest.
constexpr std::size_t kEntryLimit = 800;

bool is_head(const std::string& key) {
    return std::find(kHeadKeys.begin(), kHeadKeys.end(), key) != kHeadKeys.end();
}

bool is_omitted(const std::string& key) {
    return std::find(kOmittedKeys.begin(), kOmittedKeys.end(), key) != kOmittedKeys.end();
}

// One entry; a list longer than what is left is written item by item and ends with how many
// were left out (and, for the objects, which tool lists them all). Entries other than the objects
// take at most kEntryLimit characters, so that a scene with many materials still shows objects.
void write_entry(std::string& out, const std::string& key, const nlohmann::json& value, std::size_t limit,
                 std::int64_t total, const std::string& list_tool) {
    const bool objects = key == kObjectsKey;
    const auto end = objects ? limit : std::min(limit, out.size() + kEntryLimit);
    const auto whole = compact(value);
    const bool fits = out.size() + key.size() + whole.size() + 3 <= end;
    if (!value.is_array() || (fits && static_cast<std::int64_t>(value.size()) >= total)) {
        out += fmt::format("{}: {}\n", key, clip(whole, fits ? whole.size() : kEntryLimit));
        return;
    }
    out += fmt::format("{} ({}):\n", key, total);
    std::size_t shown = 0;
    for (const auto& item : value) {
        auto line = "- " + compact(item) + "\n";
        if (out.size() + line.size() + kMoreNote > end) {
            break;
        }
        out += line;
        ++shown;
    }
    const auto more = total - static_cast<std::int64_t>(shown);
    if (more > 0 && objects) {
        out += fmt::format("… {} more {}: call {}\n", more, key, list_tool.empty() ? "a listing tool" : list_tool);
    } else if (more > 0) {
        out += fmt::format("… {} more {}\n", more, key);
    }
}

std::string find_list_tool(const registry::RegistrySnapshot* registry) {
    if (registry == nullptr) {
        return "";
    }
    for (const auto& name : registry->tool_names()) {
        if (name.ends_with("list_objects")) {
            return name;
        }
    }
    return "";
}

} // namespace

std::string summarize_scene(const nlohmann::json& scene, std::size_t limit, const std::string& list_tool) {
    if (scene.is_null()) {
        return "(no scene reported yet)";
    }
    if (!scene.is_object()) {
        auto text = scene.is_string() ? scene.get<std::string>() : compact(scene);
        if (text.size() > limit) {
            text = fmt::format("{}… [cut: {} more characters; use a listing tool for the rest]", text.substr(0, limit),
                               text.size() - limit);
        }
        return text;
    }
    std::string out;
    const auto count_of = [&scene](const std::string& key) -> std::int64_t {
        const auto& value = scene[key];
        const auto listed = value.is_array() ? static_cast<std::int64_t>(value.size()) : 0;
        for (const auto& [list, count] : kCountKeys) {
            const std::string count_key(count);
            if (key == list && scene.contains(count_key) && scene[count_key].is_number_integer()) {
                return std::max(scene[count_key].get<std::int64_t>(), listed);
            }
        }
        return listed;
    };
    for (const std::string key : kHeadKeys) {
        if (scene.contains(key) && !scene[key].is_null()) {
            write_entry(out, key, scene[key], limit, count_of(key), list_tool);
        }
    }
    for (const auto& [key, value] : scene.items()) {
        if (!is_head(key) && key != kObjectsKey && !is_omitted(key)) {
            write_entry(out, key, value, limit, count_of(key), list_tool);
        }
    }
    if (scene.contains(kObjectsKey)) {
        write_entry(out, std::string(kObjectsKey), scene[kObjectsKey], limit, count_of(std::string(kObjectsKey)),
                    list_tool);
    }
    if (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

std::string build_context(const nlohmann::json& scene, const registry::RegistrySnapshot* registry,
                          const std::vector<std::string>& changes_by_others) {
    std::string out;
    if (!changes_by_others.empty()) {
        out = "# Meanwhile, other clients of this project changed it (the scene below includes their changes)\n";
        for (const auto& change : changes_by_others) {
            out += "- " + change + "\n";
        }
        out += "\n";
    }
    return out + "# The scene now\n" + summarize_scene(scene, 4000, find_list_tool(registry));
}

std::string build_system_prompt(const PromptInputs& inputs) {
    std::string prompt = fmt::format(
        "You are the assistant of atelier, a creative studio. You work on the project \"{}\" inside a live {} "
        "engine by calling its tools; the user watches every step as it happens.\n",
        inputs.project_name, inputs.engine_kind.empty() ? "creative" : inputs.engine_kind);
    if (!inputs.instructions.empty()) {
        prompt += "\n# The engine\n" + inputs.instructions + "\n";
    }
    std::vector<std::string> read_only;
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
    if (inputs.registry) {
        for (const auto& tool : inputs.registry->tools) {
            if (!tool->spec.mutates) {
                read_only.push_back(tool->provider_name);
            }
        }
    }
    prompt += "\n# How to work\n"
              "- Act through the tools; do not describe what you would do instead of doing it.\n"
              "- Arguments must match each tool's input schema exactly. When a tool answers with an error, read it, "
              "fix the arguments and try again; do not repeat a call that failed the same way.\n"
              "- You may ask for several tool calls in one step; they run in the order given. Batch independent "
              "calls.\n";
    if (inputs.max_steps > 0) {
        prompt += fmt::format("- A turn has at most {} steps (requests to you); plan to finish within them.\n",
                              inputs.max_steps);
    }
    if (!read_only.empty()) {
        std::string names;
        for (const auto& name : read_only) {
            names += (names.empty() ? "" : ", ") + name;
        }
        prompt += fmt::format("- These tools only look and change nothing: {}. Every other tool changes the scene, "
                              "and each call is one undo step the user can take back.\n",
                              names);
    } else {
        prompt += "- Every tool call that changes the scene is one undo step the user can take back.\n";
    }
    prompt += "- The current scene comes after the conversation, under \"# The scene now\"; it is refreshed at "
              "every step.\n"
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
