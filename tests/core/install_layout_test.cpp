// SPDX-License-Identifier: Apache-2.0
#include <fstream>

#include <gtest/gtest.h>

#include "atelier/source_dir.h"
#include "core/config.h"
#include "core/install_layout.h"
#include "hub_process.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

void touch(const fs::path& file) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "\n";
}

/// A checkout's marker files under `root`: what find_install_layout looks for.
void make_checkout(const fs::path& root) {
    touch(root / "config/atelier.toml");
    touch(root / "engines/blender/bootstrap.py");
}

Config load_for(const fs::path& executable, std::optional<fs::path> file = std::nullopt) {
    ConfigSources sources;
    sources.executable = executable;
    sources.file = std::move(file);
    auto config = load_config(sources);
    EXPECT_TRUE(config) << config.error().message;
    return config ? *config : Config{};
}

TEST(InstallLayout, ABuildTreeBinaryFindsItsCheckout) {
    TempDir dir;
    make_checkout(dir.path());
    const auto layout = find_install_layout(dir.path() / "build/asan/atelier");
    ASSERT_TRUE(layout);
    EXPECT_EQ(layout->web_root, dir.path() / "web/dist");
    EXPECT_EQ(layout->engines_dir, dir.path() / "engines");
    EXPECT_EQ(layout->config_dir, dir.path() / "config");
}

TEST(InstallLayout, AnInstalledBinaryFindsShareAtelierBesideItsBinDirectory) {
    TempDir dir;
    touch(dir.path() / "usr/local/share/atelier/config/atelier.toml");
    const auto layout = find_install_layout(dir.path() / "usr/local/bin/atelier");
    ASSERT_TRUE(layout);
    EXPECT_EQ(layout->web_root, dir.path() / "usr/local/share/atelier/web");
    EXPECT_EQ(layout->engines_dir, dir.path() / "usr/local/share/atelier/engines");
}

TEST(InstallLayout, ABinaryAloneHasNoLayout) {
    TempDir dir;
    touch(dir.path() / "bin/atelier");
    EXPECT_FALSE(find_install_layout(dir.path() / "bin/atelier"));
    // A half checkout (no engines) is not one either.
    touch(dir.path() / "config/atelier.toml");
    EXPECT_FALSE(find_install_layout(dir.path() / "build/release/atelier"));
}

TEST(InstallLayout, TheRunningBinaryIsFoundThroughProc) {
    const auto executable = current_executable();
    EXPECT_TRUE(executable.is_absolute()) << executable;
    EXPECT_EQ(executable.filename(), "core_tests");
}

TEST(Config, WithoutAFileKnowsBlenderAndRemotionFromTheLayout) {
    TempDir dir;
    touch(dir.path() / "usr/share/atelier/config/atelier.toml");
    const auto config = load_for(dir.path() / "usr/bin/atelier");
    const fs::path engines = dir.path() / "usr/share/atelier/engines";
    ASSERT_EQ(config.engines.size(), 2U);
    const auto& blender = config.engines.at("blender");
    EXPECT_EQ(blender.command, (std::vector<std::string>{"blender", "-b", "--factory-startup", "--python",
                                                         (engines / "blender/bootstrap.py").string()}));
    EXPECT_EQ(blender.pool, 0) << "no Blender is started before a session asks for one";
    const auto& remotion = config.engines.at("remotion");
    EXPECT_EQ(remotion.command, (std::vector<std::string>{"node", (engines / "remotion/dist/src/main.js").string()}));
    EXPECT_EQ(remotion.template_dir, (engines / "remotion/template").string());
    EXPECT_EQ(config.web_root, (dir.path() / "usr/share/atelier/web").string());
}

TEST(Config, AFileWithoutEngineTablesKeepsTheBuiltInKinds) {
    TempDir dir;
    make_checkout(dir.path());
    const auto file = dir.path() / "mine.toml";
    std::ofstream(file) << "port = 9000\n";
    const auto config = load_for(dir.path() / "build/dev/atelier", file);
    EXPECT_EQ(config.port, 9000);
    EXPECT_TRUE(config.engines.contains("blender"));
    EXPECT_TRUE(config.engines.contains("remotion"));
}

TEST(Config, AFileNamingEngineKindsNamesAllOfThem) {
    TempDir dir;
    make_checkout(dir.path());
    const auto file = dir.path() / "mine.toml";
    std::ofstream(file) << "[engines.test]\ncommand = [\"true\"]\n";
    const auto config = load_for(dir.path() / "build/dev/atelier", file);
    ASSERT_EQ(config.engines.size(), 1U);
    EXPECT_TRUE(config.engines.contains("test"));
}

TEST(Config, WithoutALayoutThereAreNoKindsAndTheWebRootIsWhereAnInstallWouldHaveIt) {
    TempDir dir;
    touch(dir.path() / "opt/bin/atelier");
    const auto config = load_for(dir.path() / "opt/bin/atelier");
    EXPECT_TRUE(config.engines.empty());
    EXPECT_EQ(config.web_root, (dir.path() / "opt/share/atelier/web").string());
}

TEST(Config, AWebRootGivenWinsOverTheLayout) {
    TempDir dir;
    make_checkout(dir.path());
    ConfigSources sources;
    sources.executable = dir.path() / "build/asan/atelier";
    sources.flags = {{"web_root", "/srv/web"}};
    auto config = load_config(sources);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->web_root, "/srv/web");
}

// config/atelier.toml is the documented example of the same kinds: it must run the same programs
// as the built-in defaults (it adds a warm pool and Blender's --warmup).
TEST(Config, TheBuiltInKindsRunWhatTheExampleConfigRuns) {
    const fs::path checkout = ATELIER_SOURCE_DIR;
    const auto built_in = load_for(checkout / "build/asan/atelier");
    const auto example = load_for(checkout / "build/asan/atelier", checkout / "config/atelier.toml");
    ASSERT_EQ(built_in.engines.size(), example.engines.size());
    for (const auto& [name, kind] : built_in.engines) {
        ASSERT_TRUE(example.engines.contains(name)) << name;
        auto example_command = example.engines.at(name).command;
        if (const auto separator = std::find(example_command.begin(), example_command.end(), "--");
            separator != example_command.end()) {
            example_command.erase(separator, example_command.end()); // the engine's own options
        }
        ASSERT_EQ(kind.command.size(), example_command.size()) << name;
        for (std::size_t index = 0; index < kind.command.size(); ++index) {
            EXPECT_EQ(fs::path(kind.command[index]).lexically_normal(),
                      fs::path(example_command[index]).lexically_normal())
                << name << " argument " << index;
        }
        EXPECT_EQ(fs::path(kind.template_dir).lexically_normal(),
                  fs::path(example.engines.at(name).template_dir).lexically_normal())
            << name;
    }
}

} // namespace
} // namespace atelier
