// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

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

TEST(Prompt, NamesTheProjectEngineAddonsHintsAndTheStepLimit) {
    registry::Registry registry;
    const auto prompt =
        build_system_prompt({"Island", "blender", "Blender 3.4 headless.", sample_registry(registry), 24});
    for (const auto* expected :
         {"\"Island\"", "blender", "Blender 3.4 headless.", "Create and move objects.", "Units are metres", "Z is up",
          "at most 24 steps", "several tool calls in one step", "one undo step"}) {
        EXPECT_NE(prompt.find(expected), std::string::npos) << expected << "\n" << prompt;
    }
}

TEST(Prompt, TheSystemPromptDoesNotChangeWithTheScene) {
    registry::Registry registry;
    const PromptInputs inputs{"Island", "blender", "", sample_registry(registry), 24};
    EXPECT_EQ(build_system_prompt(inputs), build_system_prompt(inputs));
    EXPECT_EQ(build_system_prompt(inputs).find("Cube"), std::string::npos);
    const auto context = build_context(json{{"objects", {{{"name", "Cube"}}}}}, inputs.registry.get());
    EXPECT_TRUE(context.starts_with("# The scene now\n")) << context;
    EXPECT_NE(context.find("\"name\":\"Cube\""), std::string::npos) << context;
}

TEST(Prompt, NamesTheReadOnlyToolsAndSaysTheOthersAreUndoSteps) {
    registry::Registry registry;
    const json manifest = json::parse(R"({
      "addon_info": {"id": "scene", "name": "Scene", "version": "1.0.0"},
      "ai_integration": {"agent_description": "Objects.", "tools": [
        {"name": "list_objects", "description": "List", "mutates": false, "parameters": []},
        {"name": "add_primitive", "description": "Add", "parameters": []}]}})");
    ASSERT_TRUE(registry.update(json::array({manifest})));
    const auto prompt = build_system_prompt({"Island", "blender", "", registry.snapshot(), 24});
    const auto line = prompt.find("only look and change nothing: scene__list_objects.");
    EXPECT_NE(line, std::string::npos) << prompt;
    EXPECT_EQ(prompt.find("scene__add_primitive"), std::string::npos) << prompt;
}

TEST(Prompt, SaysSoWhenNoSceneWasReported) {
    EXPECT_EQ(summarize_scene(nullptr), "(no scene reported yet)");
    const auto cut = summarize_scene(json(std::string(100, 'a')), 20);
    EXPECT_NE(cut.find("[cut:"), std::string::npos);
}

json many_objects_scene(int count) {
    json objects = json::array();
    for (int i = 0; i < count; ++i) {
        objects.push_back({{"name", "Rock." + std::to_string(i)},
                           {"type", "mesh"},
                           {"location", {i, 0.5, 0.25}},
                           {"material", "Stone"}});
    }
    // Keys that sort before and after "objects", as the Blender engine's do.
    return {{"scene", "Scene"},
            {"object_count", count},
            {"objects", objects},
            {"camera", {{"name", "Camera"}, {"lens", 50}}},
            {"lights", {{{"name", "Sun"}, {"type", "sun"}}}},
            {"frame_range", {1, 250}},
            {"frame_current", 12},
            {"render", {{"engine", "BLENDER_EEVEE"}, {"resolution", {1920, 1080}}, {"view_transform", "Filmic"}}},
            {"world", {{"name", "World"}, {"sky", true}}},
            {"collections", {"Rocks"}},
            {"truncated", true}};
}

TEST(Prompt, AManyObjectSceneKeepsSceneWorldCameraAndLightsAndSaysWhatItLeftOut) {
    const auto summary = summarize_scene(many_objects_scene(300), 4000, "scene__list_objects");
    EXPECT_LE(summary.size(), 4000U);
    for (const auto* expected : {"scene: \"Scene\"", "frame_current: 12", "\"engine\":\"BLENDER_EEVEE\"", "[1920,1080]",
                                 "\"view_transform\":\"Filmic\"", "world: {", "camera: {", "\"name\":\"Sun\"",
                                 "collections: [\"Rocks\"]", "objects (300):", "\"name\":\"Rock.0\""}) {
        EXPECT_NE(summary.find(expected), std::string::npos) << expected << "\n" << summary;
    }
    // The head comes before the objects, and the cut says how many are missing and how to get them.
    EXPECT_LT(summary.find("world: {"), summary.find("objects (300):"));
    EXPECT_GT(std::count(summary.begin(), summary.end(), '\n'), 10); // objects listed until the budget ran out
    const auto more = summary.find(" more objects: call scene__list_objects");
    ASSERT_NE(more, std::string::npos) << summary;
    EXPECT_EQ(summary.find("Rock.299"), std::string::npos);
    EXPECT_EQ(summary.find("truncated"), std::string::npos);
}

TEST(Prompt, ASmallSceneIsListedWhole) {
    const auto summary = summarize_scene(many_objects_scene(3), 4000, "scene__list_objects");
    EXPECT_NE(summary.find("objects: [{"), std::string::npos) << summary;
    EXPECT_NE(summary.find("Rock.2"), std::string::npos) << summary;
    EXPECT_EQ(summary.find("more objects"), std::string::npos) << summary;
}

TEST(Prompt, TheProjectAssetsFollowTheLightsAndACappedListSaysHowManyMoreThereAre) {
    auto scene = many_objects_scene(3);
    scene["assets"] = {"assets/logo.png", "assets/sky.hdr"};
    auto summary = summarize_scene(scene, 4000, "scene__list_objects");
    const auto assets = summary.find("assets: [\"assets/logo.png\",\"assets/sky.hdr\"]");
    ASSERT_NE(assets, std::string::npos) << summary;
    EXPECT_LT(summary.find("lights: "), assets);
    EXPECT_LT(assets, summary.find("collections: "));
    // The engine capped its list at 2 of 57: the count is said once, in words, not as a key.
    scene["asset_count"] = 57;
    summary = summarize_scene(scene, 4000, "scene__list_objects");
    EXPECT_NE(summary.find("assets (57):\n- \"assets/logo.png\"\n- \"assets/sky.hdr\"\n… 55 more assets\n"),
              std::string::npos)
        << summary;
    EXPECT_EQ(summary.find("asset_count"), std::string::npos) << summary;
}

TEST(Prompt, ManyMaterialsAreCutSoTheObjectsStillShow) {
    auto scene = many_objects_scene(300);
    json materials = json::array();
    for (int i = 0; i < 100; ++i) {
        materials.push_back({{"name", "Stone " + std::to_string(i)}, {"color", "#808080"}, {"roughness", 0.9}});
    }
    scene["materials"] = materials;
    const auto summary = summarize_scene(scene, 4000, "scene__list_objects");
    EXPECT_LE(summary.size(), 4000U);
    EXPECT_NE(summary.find("materials (100):\n- {\"color\""), std::string::npos) << summary;
    const auto more_materials = summary.find(" more materials\n");
    ASSERT_NE(more_materials, std::string::npos) << summary;
    EXPECT_EQ(summary.find("more materials: call"), std::string::npos) << "only the objects have a listing tool";
    EXPECT_NE(summary.find("\"name\":\"Rock.0\"", more_materials), std::string::npos) << summary;
    EXPECT_NE(summary.find(" more objects: call scene__list_objects"), std::string::npos) << summary;
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
