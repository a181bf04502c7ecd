// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "registry/manifest_parser.h"
#include "registry/tool_schema.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;

Json manifest_with_parameters(Json parameters) {
    return Json{
        {"addon_info", {{"id", "a"}, {"name", "A"}}},
        {"ai_integration",
         {{"tools", Json::array({{{"name", "t"}, {"description", "d"}, {"parameters", std::move(parameters)}}})}}}};
}

bool has_error_at(const ManifestResult& result, const std::string& pointer) {
    if (result) {
        return false;
    }
    for (const auto& error : result.error()) {
        if (error.pointer == pointer) {
            return true;
        }
    }
    return false;
}

TEST(ManifestParser, RejectsEnumWithoutOptions) {
    auto result = parse_manifest(manifest_with_parameters(Json::array({{{"name", "shape"}, {"type", "enum"}}})));
    EXPECT_TRUE(has_error_at(result, "/ai_integration/tools/0/parameters/0/options"));
}

TEST(ManifestParser, RejectsUnknownParameterType) {
    auto result = parse_manifest(manifest_with_parameters(Json::array({{{"name", "v"}, {"type", "quaternion"}}})));
    EXPECT_TRUE(has_error_at(result, "/ai_integration/tools/0/parameters/0/type"));
}

TEST(ManifestParser, DefaultsRequiredToFalse) {
    auto result = parse_manifest(manifest_with_parameters(Json::array({{{"name", "v"}, {"type", "string"}}})));
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(result->tools[0].parameters[0].required);
    EXPECT_FALSE(build_tool_schema(result->tools[0]).contains("required"));
}

TEST(ManifestParser, DefaultsMutatesToTrueAndReturnsImageToFalse) {
    auto result = parse_manifest(manifest_with_parameters(Json::array()));
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(result->tools[0].mutates);
    EXPECT_FALSE(result->tools[0].returns_image);
    EXPECT_FALSE(result->tools[0].timeout_s.has_value());
}

TEST(ManifestParser, ReportsAllErrorsNotJustTheFirst) {
    auto result = parse_manifest(manifest_with_parameters(Json::array({
        {{"name", "a"}, {"type", "enum"}},
        {{"name", "b"}, {"type", "float"}, {"min", 2}, {"max", 1}},
        {{"name", "a"}, {"type", "nope"}},
    })));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().size(), 3u) << describe(result.error());
}

TEST(ManifestParser, AcceptsAnIntegerDefaultForAFloat) {
    auto result =
        parse_manifest(manifest_with_parameters(Json::array({{{"name", "s"}, {"type", "float"}, {"default", 2}}})));
    EXPECT_TRUE(result.has_value());
}

TEST(ManifestParser, IgnoresUnknownMembersForForwardCompatibility) {
    auto manifest =
        manifest_with_parameters(Json::array({{{"name", "s"}, {"type", "string"}, {"ui_widget", "slider"}}}));
    manifest["future"] = true;
    manifest["ai_integration"]["tools"][0]["streaming"] = true;
    EXPECT_TRUE(parse_manifest(manifest).has_value());
}

TEST(ManifestParser, NeverThrowsOnArbitraryJson) {
    for (const auto& document :
         {Json(), Json(1), Json::array(), Json("x"), Json{{"addon_info", 1}, {"ai_integration", 2}},
          Json{{"addon_info", Json::object()}, {"ai_integration", {{"tools", {1, "x", nullptr}}}}}}) {
        EXPECT_NO_THROW({
            auto result = parse_manifest(document);
            EXPECT_FALSE(result.has_value());
        });
    }
}

TEST(ManifestParser, AddsAdditionalPropertiesFalseToAnInputSchemaThatSaysNothing) {
    Json manifest = manifest_with_parameters(Json::array());
    auto& tool = manifest["ai_integration"]["tools"][0];
    tool.erase("parameters");
    tool["input_schema"] = {{"type", "object"}, {"properties", {{"n", {{"type", "integer"}}}}}};
    auto result = parse_manifest(manifest);
    ASSERT_TRUE(result.has_value()) << describe(result.error());
    EXPECT_EQ(build_tool_schema(result->tools[0])["additionalProperties"], false);
}

TEST(ManifestParser, KeepsAnInputSchemaThatAllowsExtraProperties) {
    Json manifest = manifest_with_parameters(Json::array());
    auto& tool = manifest["ai_integration"]["tools"][0];
    tool.erase("parameters");
    tool["input_schema"] = {{"type", "object"}, {"additionalProperties", true}};
    auto result = parse_manifest(manifest);
    ASSERT_TRUE(result.has_value()) << describe(result.error());
    EXPECT_EQ(build_tool_schema(result->tools[0])["additionalProperties"], true);
}

TEST(ManifestParser, ChecksToolNames) {
    EXPECT_TRUE(is_valid_tool_name("add_primitive"));
    EXPECT_TRUE(is_valid_tool_name("three-point-rig"));
    EXPECT_FALSE(is_valid_tool_name(""));
    EXPECT_FALSE(is_valid_tool_name("add cube"));
    EXPECT_FALSE(is_valid_tool_name("ns.tool"));
    EXPECT_FALSE(is_valid_tool_name(std::string(65, 'a')));
}

} // namespace
} // namespace atelier::registry
