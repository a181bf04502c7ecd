// SPDX-License-Identifier: Apache-2.0
#include "mcp/tool_catalog.h"

#include <gtest/gtest.h>

namespace atelier::mcp {
namespace {

using nlohmann::json;

json registry_tool(bool mutates) {
    return {{"name", "scene__add_primitive"},
            {"addon", "scene"},
            {"tool", "add_primitive"},
            {"description", "Add a mesh primitive"},
            {"usage", "Use to create basic shapes"},
            {"examples", {"add a cube 2 m wide"}},
            {"mutates", mutates},
            {"input_schema",
             {{"type", "object"}, {"properties", {{"shape", {{"type", "string"}}}}}, {"required", {"shape"}}}}};
}

TEST(ToolCatalog, AnEngineToolGetsATitleADescriptionAndItsEffect) {
    const auto tool = engine_tool(registry_tool(true), ResultStyle::Session);
    EXPECT_EQ(tool["name"], "scene__add_primitive");
    EXPECT_EQ(tool["title"], "Add primitive (scene)");
    EXPECT_EQ(tool["description"],
              "Add a mesh primitive\n\nUsage: Use to create basic shapes\n\nExamples:\n- add a cube 2 m wide");
    EXPECT_EQ(tool["annotations"]["readOnlyHint"], false);
    EXPECT_EQ(tool["annotations"]["destructiveHint"], false);
    EXPECT_EQ(tool["inputSchema"]["required"], json::array({"shape"}));
    EXPECT_EQ(engine_tool(registry_tool(false), ResultStyle::Session)["annotations"]["readOnlyHint"], true);
}

TEST(ToolCatalog, StatelessClientsPassTheSessionHandleToEngineTools) {
    const auto tool = engine_tool(registry_tool(true), ResultStyle::Stateless);
    EXPECT_EQ(tool["inputSchema"]["required"], json::array({"shape", "session"}));
    EXPECT_EQ(tool["inputSchema"]["properties"]["session"]["type"], "string");
}

TEST(ToolCatalog, ATitleFromTheRegistryWins) {
    auto tool = registry_tool(true);
    tool["title"] = "Add a primitive";
    EXPECT_EQ(tool_title(tool), "Add a primitive");
}

TEST(ToolCatalog, BuiltinsNeedASessionHandleOnlyWhenStatelessAndActingOnAProject) {
    for (const auto style : {ResultStyle::Session, ResultStyle::Stateless}) {
        for (const auto& tool : builtin_tools(style)) {
            const std::string name = tool["name"];
            EXPECT_TRUE(is_builtin_tool(name)) << name;
            EXPECT_FALSE(tool["title"].get<std::string>().empty()) << name;
            const bool has_session = tool["inputSchema"]["properties"].contains("session");
            const bool acts_on_project = name != "list_projects" && name != "create_project";
            EXPECT_EQ(has_session, style == ResultStyle::Stateless && acts_on_project) << name;
        }
    }
    EXPECT_FALSE(is_builtin_tool("scene__add_primitive"));
}

TEST(ToolCatalog, TheEngineToolHubToolsSayToPreferTheEnginesOwnTools) {
    for (const auto style : {ResultStyle::Session, ResultStyle::Stateless}) {
        json listed;
        json call;
        for (const auto& tool : builtin_tools(style)) {
            if (tool["name"] == "list_engine_tools") {
                listed = tool;
            } else if (tool["name"] == "call_engine_tool") {
                call = tool;
            }
        }
        ASSERT_TRUE(listed.is_object() && call.is_object());
        EXPECT_NE(listed["description"].get<std::string>().find("Prefer the engine's own tools"), std::string::npos);
        EXPECT_NE(call["description"].get<std::string>().find("Prefer the engine's own tools"), std::string::npos);
        EXPECT_EQ(listed["annotations"]["readOnlyHint"], true);
        EXPECT_EQ(call["annotations"]["readOnlyHint"], false);
        EXPECT_EQ(call["inputSchema"]["properties"]["arguments"]["type"], "object");
        const json required = style == ResultStyle::Session ? json::array({"tool"}) : json::array({"tool", "session"});
        EXPECT_EQ(call["inputSchema"]["required"], required);
    }
}

} // namespace
} // namespace atelier::mcp
