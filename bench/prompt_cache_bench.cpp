// SPDX-License-Identifier: Apache-2.0
// What prompt caching saves on a 20-step agent turn (docs/benchmarks.md, issue 17).
//
// Pure computation, no network: the real Blender engine's manifests (engines/blender/scripts/
// addons/*/addon_ai.json) give the tools, a scripted 20-step turn that adds one object per step
// gives the transcript and a growing scene summary, and each provider's wire format writes every
// step's request body exactly as the hub sends it. For each step it counts:
//   - the bytes of the request, and of the tools alone (the schema size);
//   - the bytes a prefix cache can serve: for the OpenAI-compatible format, the bytes the request
//     shares with the previous step's from the start (automatic prefix caching matches
//     byte-identical prefixes); for Anthropic, the part of the prefix stored at the previous
//     step's last cache_control breakpoint that this request repeats (none without breakpoints).
// "before" is the layout the hub used until issue 17 (the scene summary inside the system prompt,
// which changes at every step that changes the scene, no breakpoints), "after" today's (the scene
// after the transcript, breakpoints on the last tool, the system prompt and the last block).
// Tokens are estimated at 4 bytes each (the agent's own budget rule). Floor: the bytes that are
// new at each step (the previous reply and its tool results, and the scene), which no cache can
// serve.
//
// Usage: prompt_cache_bench [--steps 20] [--source DIR]

#include "atelier/source_dir.h"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/prompt.h"
#include "agent/wire_format.h"
#include "registry/registry.h"

namespace {

using nlohmann::json;
using namespace atelier::agent;

json read_json(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

std::size_t shared_prefix(const std::string& a, const std::string& b) {
    return static_cast<std::size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
}

std::string without_breakpoints(std::string text) {
    for (const std::string marker :
         {",\"cache_control\":{\"type\":\"ephemeral\"}", "\"cache_control\":{\"type\":\"ephemeral\"},"}) {
        for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at)) {
            text.erase(at, marker.size());
        }
    }
    return text;
}

// Anthropic caches by content (the breakpoint markers are not part of the prompt): what the
// previous step stored at its last breakpoint is everything before its context block, and this
// step reads back as much of that as it repeats.
std::size_t anthropic_cached_prefix(const std::string& previous, const std::string& current) {
    const auto before = without_breakpoints(previous);
    const auto now = without_breakpoints(current);
    const auto context = before.find("\"text\":\"# The scene now");
    return std::min(context == std::string::npos ? before.size() : context, shared_prefix(before, now));
}

struct Totals {
    std::size_t sent = 0;
    std::size_t cached = 0;
};

enum class Layout { Before, After };

std::string body(const WireFormat& format, const ModelSettings& settings, const ModelRequest& request, Layout layout) {
    if (layout == Layout::After) {
        return format.build(settings, request).body;
    }
    // The old layout: the scene inside the system prompt, no context at the end, no breakpoints.
    ModelRequest old = request;
    old.system = request.system + "\n" + request.context + "\n";
    old.context.clear();
    return without_breakpoints(format.build(settings, old).body);
}

} // namespace

int main(int argc, char** argv) {
    int steps = 20;
    std::filesystem::path source = ATELIER_SOURCE_DIR;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--steps") {
            steps = std::max(2, std::atoi(argv[i + 1]));
        } else if (flag == "--source") {
            source = argv[i + 1];
        }
    }
    json manifests = json::array();
    std::string instructions;
    for (const auto& entry : std::filesystem::directory_iterator(source / "engines/blender/scripts/addons")) {
        const auto file = entry.path() / "addon_ai.json";
        if (std::filesystem::exists(file)) {
            manifests.push_back(read_json(file));
        }
    }
    atelier::registry::Registry registry;
    if (!registry.update(manifests)) {
        std::fprintf(stderr, "prompt_cache_bench: the Blender manifests did not load\n");
        return 1;
    }
    const auto snapshot = registry.snapshot();
    const auto tools = tool_definitions(*snapshot);
    const auto system =
        build_system_prompt({"Bench", "blender", "Blender 4 headless (the engine's instructions).", snapshot, 24});
    std::printf("# Prompt caching on a %d-step turn: Blender's %zu tools, %zu addons\n\n", steps, tools.size(),
                snapshot->addons.size());

    std::printf("| provider | tools as sent (bytes) | static system prompt (bytes) |\n|---|---|---|\n");
    for (const std::string provider : {"anthropic", "openai"}) {
        const auto format = make_wire_format(provider);
        const ModelSettings settings{provider, "model", "", "", 4096, std::nullopt};
        const auto with = json::parse(format->build(settings, {"", {}, tools, ""}).body);
        std::printf("| %s | %zu | %zu |\n", provider.c_str(), with["tools"].dump().size(), system.size());
    }
    std::printf("\n| provider | layout | input sent (≈tokens) | served by the prefix cache (≈tokens) | uncached "
                "(≈tokens) | floor: new each step (≈tokens) |\n|---|---|---|---|---|---|\n");
    for (const std::string provider : {"anthropic", "openai"}) {
        const auto format = make_wire_format(provider);
        const ModelSettings settings{provider, "model", "", "", 4096, std::nullopt};
        for (const auto layout : {Layout::Before, Layout::After}) {
            Transcript transcript{{Role::User,
                                   {Block::text_block("Build a small island scene with palm trees, "
                                                      "rocks and a sunset; check it through the camera.")}}};
            json objects = json::array();
            std::string previous;
            Totals totals;
            std::size_t floor = 0;
            for (int step = 0; step < steps; ++step) {
                json scene{{"scene", "Scene"},
                           {"object_count", objects.size()},
                           {"objects", objects},
                           {"camera", {{"name", "Camera"}, {"lens", 50}}},
                           {"lights", {{{"name", "Sun"}, {"type", "sun"}, {"energy", 3}}}},
                           {"frame_range", {1, 250}},
                           {"world", {{"name", "World"}, {"sky", true}}}};
                const ModelRequest request{system, transcript, tools, build_context(scene, snapshot.get())};
                const auto current = body(*format, settings, request, layout);
                totals.sent += current.size();
                if (!previous.empty()) {
                    const auto cached = provider == "openai"      ? shared_prefix(previous, current)
                                        : layout == Layout::After ? anthropic_cached_prefix(previous, current)
                                                                  : 0; // no breakpoints, no cache
                    totals.cached += cached;
                }
                // New at this step whatever the layout: the first request whole, then the scene
                // and (below) the model's reply and its tool results.
                floor += step == 0 ? current.size() : request.context.size();
                previous = current;
                // The model adds a rock; the tool answers with a line of text.
                const auto name = "Rock." + std::to_string(step);
                const json arguments{
                    {"shape", "ico_sphere"}, {"name", name}, {"location", {step, 0.5, 0.2}}, {"size", 0.4}};
                transcript.push_back(
                    {Role::Assistant,
                     {Block::text_block("Adding " + name + "."),
                      Block::tool_use("toolu_" + std::to_string(step), "modeling__add_primitive", arguments)}});
                transcript.push_back(
                    {Role::User,
                     {Block::tool_result(
                         "toolu_" + std::to_string(step), "modeling__add_primitive",
                         {Block::text_block("Added " + name + " (mesh) at " + arguments["location"].dump())}, false)}});
                objects.push_back({{"name", name},
                                   {"type", "mesh"},
                                   {"location", arguments["location"]},
                                   {"rotation", {0, 0, 0}},
                                   {"scale", {1, 1, 1}},
                                   {"dimensions", {0.4, 0.4, 0.4}},
                                   {"material", nullptr}});
            }
            std::printf("| %s | %s | %zu | %zu | %zu | %zu |\n", provider.c_str(),
                        layout == Layout::Before ? "before (scene in the system prompt)" : "after (scene last)",
                        totals.sent / 4, totals.cached / 4, (totals.sent - totals.cached) / 4, floor / 4);
        }
    }
    return 0;
}
