// SPDX-License-Identifier: Apache-2.0
// `make install`'s layout, run for real: scripts/install.sh installs the built binary, the web app
// and the engines into a temporary DESTDIR, and the installed `atelier serve` — no config file —
// finds them from its own path (src/core/install_layout.h).
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "atelier/source_dir.h"
#include "clients.h"
#include "hub_process.h"
#include "rest_client.h"

namespace atelier::testing {
namespace {

namespace fs = std::filesystem;

/// Points HubProcess at another binary for one scope (it reads $ATELIER_BINARY).
class BinaryOverride {
public:
    explicit BinaryOverride(const fs::path& binary) : m_previous(atelier_binary()) {
        setenv("ATELIER_BINARY", binary.c_str(), 1);
    }
    ~BinaryOverride() { setenv("ATELIER_BINARY", m_previous.c_str(), 1); }
    BinaryOverride(const BinaryOverride&) = delete;
    BinaryOverride& operator=(const BinaryOverride&) = delete;

private:
    std::string m_previous;
};

class Install : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        destdir = new TempDir();
        // Hard links where possible: the Remotion engine's node_modules alone is ~300 MB.
        const auto result = run_command(
            {std::string(ATELIER_SOURCE_DIR) + "/scripts/install.sh", atelier_binary()},
            {{"DESTDIR", destdir->path().string()}, {"PREFIX", "/opt/atelier"}, {"ATELIER_INSTALL_COPY", "link"}});
        install_result = new CommandResult(result);
    }
    static void TearDownTestSuite() {
        delete install_result;
        delete destdir;
    }
    void SetUp() override { ASSERT_EQ(install_result->exit_code, 0) << install_result->out << install_result->err; }
    static fs::path prefix() { return destdir->path() / "opt/atelier"; }

    static TempDir* destdir;
    static CommandResult* install_result;
};

TempDir* Install::destdir = nullptr;
CommandResult* Install::install_result = nullptr;

TEST_F(Install, PutsTheBinaryWebAppEnginesAndConfigUnderThePrefix) {
    const fs::path share = prefix() / "share/atelier";
    EXPECT_TRUE(fs::is_regular_file(prefix() / "bin/atelier"));
    EXPECT_TRUE(fs::is_regular_file(share / "web/index.html"));
    EXPECT_TRUE(fs::is_regular_file(share / "config/atelier.toml"));
    EXPECT_TRUE(fs::is_regular_file(share / "engines/blender/bootstrap.py"));
    EXPECT_TRUE(fs::is_regular_file(share / "engines/blender/scripts/addons/atelier_router/__init__.py"));
    EXPECT_TRUE(fs::is_regular_file(share / "engines/remotion/dist/src/main.js"));
    EXPECT_TRUE(fs::is_directory(share / "engines/remotion/node_modules/remotion"));
    EXPECT_TRUE(fs::is_regular_file(share / "engines/remotion/template/package.json"));
    EXPECT_TRUE(fs::is_regular_file(share / "engines/remotion/manifests/remotion.json"));
    EXPECT_FALSE(fs::exists(share / "engines/remotion/dist/tests")) << "only the engine, not its tests";
}

TEST_F(Install, TheInstalledBinaryWithoutAConfigServesTheWebAppAndKnowsBothKinds) {
    const BinaryOverride installed(prefix() / "bin/atelier");
    auto hub = HubProcess::start();

    const auto page = http_request(hub->port(), "GET", "/", {});
    ASSERT_EQ(page.status, 200) << page.body;
    std::ifstream index(prefix() / "share/atelier/web/index.html");
    const std::string expected((std::istreambuf_iterator<char>(index)), std::istreambuf_iterator<char>());
    EXPECT_EQ(page.body, expected) << "the installed web app, not the checkout's";

    const auto engines = rest(hub->port(), hub->token(), "GET", "/api/engines");
    ASSERT_EQ(engines.status, 200) << engines.raw;
    EXPECT_EQ(engines.body["kinds"], nlohmann::json::array({"blender", "remotion"}));

    // A remotion project starts from the installed template.
    const std::string id = create_project(hub->port(), hub->token(), "film", "remotion");
    const auto file = rest(hub->port(), hub->token(), "GET", "/api/projects/" + id + "/files/package.json");
    EXPECT_EQ(file.status, 200) << file.raw;
    EXPECT_NE(hub->log().find((prefix() / "share/atelier/web").string()), std::string::npos) << hub->log();
}

TEST_F(Install, AnUnconfiguredKindIsRefusedNamingTheConfiguredOnes) {
    const BinaryOverride installed(prefix() / "bin/atelier");
    auto hub = HubProcess::start();
    const auto reply =
        rest_json(hub->port(), hub->token(), "POST", "/api/projects", nlohmann::json{{"name", "a"}, {"kind", "maya"}});
    EXPECT_EQ(reply.status, 400) << reply.raw;
    EXPECT_EQ(reply.body["error"]["message"],
              "field \"kind\": no engine of kind \"maya\" is configured (configured kinds: blender, remotion)");
}

} // namespace
} // namespace atelier::testing
