// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "registry/registry.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;

Json addon(const std::string& id, const std::vector<std::string>& tools) {
    Json list = Json::array();
    for (const auto& tool : tools) {
        list.push_back({{"name", tool}, {"description", "does " + tool}, {"parameters", Json::array()}});
    }
    return Json{
        {"addon_info", {{"id", id}, {"name", id}}},
        {"ai_integration", {{"agent_description", "about " + id}, {"context_hints", {"hint " + id}}, {"tools", list}}}};
}

TEST(Registry, StartsEmptyAtVersionZero) {
    Registry registry;
    EXPECT_EQ(registry.version(), 0u);
    EXPECT_TRUE(registry.snapshot()->tools.empty());
}

TEST(Registry, AcceptsValidAddonsAndFindsToolsByProviderName) {
    Registry registry;
    auto outcome = registry.update(Json::array({addon("scene", {"add", "remove"}), addon("render", {"still"})}));
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(outcome->changed);
    EXPECT_EQ(outcome->accepted, 2u);
    EXPECT_EQ(registry.version(), 1u);
    auto tool = registry.find("scene__remove");
    ASSERT_NE(tool, nullptr);
    EXPECT_EQ(tool->addon_id, "scene");
    EXPECT_EQ(tool->spec.name, "remove");
    EXPECT_EQ(registry.find("scene__missing"), nullptr);
    EXPECT_EQ(registry.snapshot()->tool_names(),
              (std::vector<std::string>{"render__still", "scene__add", "scene__remove"}));
}

TEST(Registry, AMultilineHintReachesFormsButNotTheModelsSchema) {
    Json manifest = addon("files", {});
    manifest["ai_integration"]["tools"] = Json::array(
        {{{"name", "write"},
          {"description", "write a file"},
          {"parameters",
           {{{"name", "path"}, {"type", "string"}, {"required", true}},
            {{"name", "content"}, {"type", "string"}, {"multiline", true}, {"description", "the text"}}}}}});
    Registry registry;
    auto outcome = registry.update(Json::array({manifest}));
    ASSERT_TRUE(outcome.has_value());
    ASSERT_EQ(outcome->accepted, 1u);
    const auto tool = registry.find("files__write");
    ASSERT_NE(tool, nullptr);
    const Json forms = tool->to_json()["input_schema"]["properties"];
    EXPECT_EQ(forms["content"]["multiline"], true);
    EXPECT_FALSE(forms["path"].contains("multiline"));
    EXPECT_FALSE(tool->input_schema["properties"]["content"].contains("multiline"));

    manifest["ai_integration"]["tools"][0]["parameters"][0]["multiline"] = true;
    manifest["ai_integration"]["tools"][0]["parameters"][0]["type"] = "integer";
    Registry strict;
    auto refused = strict.update(Json::array({manifest}));
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->accepted, 0u);
    ASSERT_EQ(strict.snapshot()->rejected.size(), 1u);
}

TEST(Registry, ExposesAgentDescriptionsAndContextHints) {
    Registry registry;
    ASSERT_TRUE(registry.update(Json::array({addon("scene", {"add"})})).has_value());
    const auto& entry = registry.snapshot()->addons.at(0);
    EXPECT_EQ(entry.agent_description, "about scene");
    EXPECT_EQ(entry.context_hints, std::vector<std::string>{"hint scene"});
    EXPECT_EQ(entry.tool_names, std::vector<std::string>{"scene__add"});
}

TEST(Registry, RecordsRejectedManifestsAlongsideAcceptedOnes) {
    Registry registry;
    Json bad = addon("broken", {"x"});
    bad["ai_integration"]["tools"][0]["parameters"] = Json::array({{{"name", "p"}, {"type", "enum"}}});
    auto outcome = registry.update(Json::array({addon("good", {"x"}), bad}));
    ASSERT_TRUE(outcome.has_value());
    EXPECT_EQ(outcome->accepted, 1u);
    ASSERT_EQ(outcome->rejected.size(), 1u);
    EXPECT_EQ(outcome->rejected[0].index, 1u);
    EXPECT_EQ(outcome->rejected[0].addon_id, "broken");
    EXPECT_EQ(outcome->rejected[0].errors.at(0).pointer, "/ai_integration/tools/0/parameters/0/options");
    const auto snapshot = registry.snapshot();
    ASSERT_EQ(snapshot->rejected.size(), 1u);
    EXPECT_EQ(snapshot->rejected[0].to_json()["errors"][0]["pointer"], "/ai_integration/tools/0/parameters/0/options");
    EXPECT_NE(snapshot->find("good__x"), nullptr);
}

TEST(Registry, RejectsASecondManifestWithTheSameAddonId) {
    Registry registry;
    auto outcome = registry.update(Json::array({addon("scene", {"a"}), addon("scene", {"b"})}));
    ASSERT_TRUE(outcome.has_value());
    ASSERT_EQ(outcome->rejected.size(), 1u);
    EXPECT_EQ(outcome->rejected[0].errors.at(0).pointer, "/addon_info/id");
    EXPECT_NE(registry.find("scene__a"), nullptr);
    EXPECT_EQ(registry.find("scene__b"), nullptr);
}

TEST(Registry, ResolvesCollidingSanitizedNamesAcrossAddons) {
    Registry registry;
    ASSERT_TRUE(registry.update(Json::array({addon("my_addon", {"go"}), addon("my.addon", {"go"})})).has_value());
    const auto names = registry.snapshot()->tool_names();
    ASSERT_EQ(names.size(), 2u);
    EXPECT_NE(names[0], names[1]);
    EXPECT_NE(registry.find("my_addon__go"), nullptr);
    EXPECT_EQ(registry.find("my_addon__go")->addon_id, "my.addon");
}

TEST(Registry, ReplacesTheWholeSetOnEachUpdate) {
    Registry registry;
    ASSERT_TRUE(registry.update(Json::array({addon("a", {"x"}), addon("b", {"y"})})).has_value());
    ASSERT_TRUE(registry.update(Json::array({addon("b", {"y"})})).has_value());
    EXPECT_EQ(registry.find("a__x"), nullptr);
    EXPECT_NE(registry.find("b__y"), nullptr);
    EXPECT_EQ(registry.version(), 2u);
}

TEST(Registry, KeepsTheVersionWhenTheSameSetIsSentAgain) {
    Registry registry;
    const Json addons = Json::array({addon("a", {"x"})});
    ASSERT_TRUE(registry.update(addons).has_value());
    int calls = 0;
    auto id = registry.subscribe([&](const auto&) { ++calls; });
    auto outcome = registry.update(addons);
    ASSERT_TRUE(outcome.has_value());
    EXPECT_FALSE(outcome->changed);
    EXPECT_EQ(registry.version(), 1u);
    EXPECT_EQ(calls, 0);
    registry.unsubscribe(id);
}

TEST(Registry, RefusesAnUpdateThatIsNotAnArrayAndKeepsTheCurrentSet) {
    Registry registry;
    ASSERT_TRUE(registry.update(Json::array({addon("a", {"x"})})).has_value());
    auto outcome = registry.update(Json{{"addons", Json::array()}});
    ASSERT_FALSE(outcome.has_value());
    EXPECT_EQ(outcome.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(registry.version(), 1u);
    EXPECT_NE(registry.find("a__x"), nullptr);
}

TEST(Registry, NotifiesSubscribersWithTheNewSnapshotUntilTheyUnsubscribe) {
    Registry registry;
    std::vector<std::uint64_t> seen;
    auto id = registry.subscribe([&](const std::shared_ptr<const RegistrySnapshot>& snapshot) {
        seen.push_back(snapshot->version);
        EXPECT_EQ(registry.version(), snapshot->version); // visible before listeners run
    });
    ASSERT_TRUE(registry.update(Json::array({addon("a", {"x"})})).has_value());
    ASSERT_TRUE(registry.update(Json::array()).has_value());
    registry.unsubscribe(id);
    ASSERT_TRUE(registry.update(Json::array({addon("b", {"x"})})).has_value());
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2}));
}

TEST(Registry, LetsAListenerUnsubscribeItself) {
    Registry registry;
    int calls = 0;
    Registry::SubscriptionId id = 0;
    id = registry.subscribe([&](const auto&) {
        ++calls;
        registry.unsubscribe(id);
    });
    ASSERT_TRUE(registry.update(Json::array({addon("a", {"x"})})).has_value());
    ASSERT_TRUE(registry.update(Json::array()).has_value());
    EXPECT_EQ(calls, 1);
}

TEST(Registry, KeepsOldSnapshotsValidForTheirReaders) {
    Registry registry;
    ASSERT_TRUE(registry.update(Json::array({addon("a", {"x"})})).has_value());
    auto before = registry.snapshot();
    auto tool = registry.find("a__x");
    ASSERT_TRUE(registry.update(Json::array()).has_value());
    EXPECT_NE(before->find("a__x"), nullptr);
    EXPECT_TRUE(tool->validate(Json::object()).empty());
}

TEST(Registry, ServesReadersWhileUpdating) {
    Registry registry;
    std::atomic<bool> done{false};
    std::atomic<int> notifications{0};
    auto id = registry.subscribe([&](const auto&) { ++notifications; });
    std::thread reader([&] {
        while (!done) {
            auto snapshot = registry.snapshot();
            for (const auto& tool : snapshot->tools) {
                EXPECT_EQ(snapshot->find(tool->provider_name), tool);
            }
        }
    });
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(registry.update(Json::array({addon("a" + std::to_string(i % 3), {"x", "y"})})).has_value());
    }
    done = true;
    reader.join();
    registry.unsubscribe(id);
    EXPECT_EQ(registry.version(), 50u);
    EXPECT_EQ(notifications.load(), 50);
}

} // namespace
} // namespace atelier::registry
