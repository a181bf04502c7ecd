// SPDX-License-Identifier: Apache-2.0
#include <regex>

#include <gtest/gtest.h>

#include "registry/tool_naming.h"

namespace atelier::registry {
namespace {

const std::regex kProviderName("^[a-zA-Z0-9_-]{1,64}$");

TEST(RegistryToolNaming, JoinsAddonAndToolWithTwoUnderscores) {
    EXPECT_EQ(base_provider_name("scene_basics", "add_primitive"), "scene_basics__add_primitive");
}

TEST(RegistryToolNaming, ReplacesCharactersProvidersRefuse) {
    EXPECT_EQ(base_provider_name("cr8.lighting v2", "add_light"), "cr8_lighting_v2__add_light");
    // Each byte of a multi-byte UTF-8 character becomes one underscore.
    EXPECT_EQ(base_provider_name("caf\xc3\xa9", "t"), "caf____t");
}

TEST(RegistryToolNaming, CutsNamesToSixtyFourCharacters) {
    const auto name = base_provider_name(std::string(60, 'a'), "tool");
    EXPECT_EQ(name.size(), 64u);
    EXPECT_TRUE(std::regex_match(name, kProviderName));
}

TEST(RegistryToolNaming, ResolvesCollisionsWithAStableHashSuffix) {
    const std::vector<ToolKey> keys{{"my.addon", "go"}, {"my_addon", "go"}};
    const auto names = assign_provider_names(keys);
    ASSERT_EQ(names.size(), 2u);
    // "my.addon" sorts before "my_addon" ('.' < '_'), so it keeps the plain name.
    EXPECT_EQ(names[0], "my_addon__go");
    EXPECT_TRUE(names[1].starts_with("my_addon__go_"));
    EXPECT_EQ(names[1].size(), std::string("my_addon__go_").size() + 8);
    EXPECT_TRUE(std::regex_match(names[1], kProviderName));
}

TEST(RegistryToolNaming, GivesTheSameNamesWhateverTheInputOrder) {
    const std::vector<ToolKey> forward{{"my.addon", "go"}, {"my_addon", "go"}, {"other", "go"}};
    const std::vector<ToolKey> backward{{"other", "go"}, {"my_addon", "go"}, {"my.addon", "go"}};
    const auto a = assign_provider_names(forward);
    const auto b = assign_provider_names(backward);
    EXPECT_EQ(a[0], b[2]);
    EXPECT_EQ(a[1], b[1]);
    EXPECT_EQ(a[2], b[0]);
}

TEST(RegistryToolNaming, KeepsSuffixedNamesWithinSixtyFourCharactersAfterTruncation) {
    const std::string long_addon(70, 'x');
    const std::vector<ToolKey> keys{{long_addon + "1", "tool"}, {long_addon + "2", "tool"}};
    const auto names = assign_provider_names(keys);
    EXPECT_NE(names[0], names[1]);
    for (const auto& name : names) {
        EXPECT_LE(name.size(), 64u);
        EXPECT_TRUE(std::regex_match(name, kProviderName)) << name;
    }
}

TEST(RegistryToolNaming, NeverReusesANameAnotherToolKeeps) {
    // "a__b_<hash>" could in principle be a real tool's plain name; the assigner skips taken names.
    const std::vector<ToolKey> keys{{"a.", "b"}, {"a_", "b"}, {"a", "_b"}};
    const auto names = assign_provider_names(keys);
    std::set<std::string> unique(names.begin(), names.end());
    EXPECT_EQ(unique.size(), names.size());
}

} // namespace
} // namespace atelier::registry
