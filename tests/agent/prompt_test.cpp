#include <gtest/gtest.h>

#include "agent/prompt.h"
#include "registry/registry.h"

namespace atelier::agent {
namespace {

using nlohmann::json;

std::shared_ptr<const registry::RegistrySnapshot> sample_registry(registry::Registry& registry) {
    const json manifest = json::parse(R"({
      "addon_info": {"id": "scene_basics", "name": "Scene basics", "version": "1.0.0"},
      "ai_integration": {
        "agent_description": "Create and move objects.",
        "context_hints": ["Units are metres", "Z is up"],
        "tools": [{"name": "add_cube", "description": "Add a cube", "usage": "Use before refining",
                   "examples": ["a cube at 0,0,1"], "returns_image": true,
                   "parameters": [{"name": "size", "type": "float", "min": 0.1, "max": 10, "required": true}]}]}})");
    EXPECT_TRUE(registry.update(json::array({manifest})));
    return registry.snapshot();
}

TEST(Prompt, NamesTheProjectEngineAddonsHintsAndScene) {
    registry::Registry registry;
    const auto prompt = build_system_prompt(
        {"Island", "blender", "Blender 3.4 headless.", sample_registry(registry), json{{"objects", {"Cube"}}}});
    for (const auto* expected : {"\"Island\"", "blender", "Blender 3.4 headless.", "Create and move objects.",
                                 "Units are metres", "Z is up", "{\"objects\":[\"Cube\"]}"}) {
        EXPECT_NE(prompt.find(expected), std::string::npos) << expected << "\n" << prompt;
    }
}

TEST(Prompt, SaysSoWhenNoSceneWasReported) {
    EXPECT_EQ(summarize_scene(nullptr), "(no scene reported yet)");
    const auto cut = summarize_scene(json{{"text", std::string(100, 'a')}}, 20);
    EXPECT_NE(cut.find("[cut:"), std::string::npos);
}

TEST(Prompt, ToolDefinitionsUseProviderNamesAndTheSchema) {
    registry::Registry registry;
    const auto tools = tool_definitions(*sample_registry(registry));
    ASSERT_EQ(tools.size(), 1U);
    EXPECT_EQ(tools[0].name, "scene_basics__add_cube");
    EXPECT_NE(tools[0].description.find("Use before refining"), std::string::npos);
    EXPECT_NE(tools[0].description.find("a cube at 0,0,1"), std::string::npos);
    EXPECT_NE(tools[0].description.find("image"), std::string::npos);
    EXPECT_EQ(tools[0].input_schema["properties"]["size"]["maximum"], 10);
}

} // namespace
} // namespace atelier::agent
