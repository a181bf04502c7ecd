// SPDX-License-Identifier: Apache-2.0
#include "agent/asset_prompt.h"

#include <gtest/gtest.h>

namespace atelier::agent {
namespace {

using nlohmann::json;

TEST(AssetPrompt, EachAssetIsOneLineWithItsKindSizeAndWhatIsKnownOfItsMedia) {
    const json assets =
        json::array({{{"path", "public/logo.png"}, {"kind", "image"}, {"size", 48213}, {"width", 512}, {"height", 256}},
                     {{"path", "public/jingle.wav"}, {"kind", "audio"}, {"size", 2 * 1024 * 1024}, {"duration_s", 2.5}},
                     {{"path", "assets/cube.glb"}, {"kind", "model"}, {"size", 900}}});
    const auto section = build_assets_section(assets);
    EXPECT_NE(section.find("# The project's assets"), std::string::npos) << section;
    EXPECT_NE(section.find("- public/logo.png (image, 47.1 KB, 512x256) → staticFile(\"logo.png\")\n"),
              std::string::npos)
        << section;
    EXPECT_NE(section.find("- public/jingle.wav (audio, 2.0 MB, 2.50 s) → staticFile(\"jingle.wav\")\n"),
              std::string::npos)
        << section;
    EXPECT_NE(section.find("- assets/cube.glb (model, 900 B)\n"), std::string::npos) << section;
}

TEST(AssetPrompt, NoAssetsNoSection) {
    EXPECT_EQ(build_assets_section(json::array()), "");
    EXPECT_EQ(with_assets("# The scene now\nx", ""), "# The scene now\nx");
    EXPECT_EQ(with_assets("# The scene now\nx", "# The project's assets\n- a"),
              "# The scene now\nx\n\n# The project's assets\n- a");
}

TEST(AssetPrompt, FilesBeyondTheBudgetAreCounted) {
    json assets = json::array();
    for (int i = 0; i < 100; ++i) {
        assets.push_back({{"path", "assets/texture_" + std::to_string(i) + ".png"}, {"kind", "image"}, {"size", 10}});
    }
    const auto section = build_assets_section(assets, 600);
    EXPECT_NE(section.find("assets/texture_0.png"), std::string::npos);
    EXPECT_EQ(section.find("assets/texture_99.png"), std::string::npos);
    EXPECT_NE(section.find("more files"), std::string::npos) << section;
    EXPECT_LT(section.size(), 900U);
}

} // namespace
} // namespace atelier::agent
