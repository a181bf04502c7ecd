// SPDX-License-Identifier: Apache-2.0
// The launcher against the real hub: the test engine, started by engines::LocalLauncher (with and
// without the bubblewrap sandbox), reaches `atelier serve --engine-socket` through its Unix socket
// and answers a tool call made over REST.

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "engines/engine_launcher.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class LauncherTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::filesystem::create_directories(workdir);
        hub = HubProcess::start({.args = {"--engine-socket", socket.string()}});
    }

    /// The hub serves --engine-socket once src/app passes Config::engine_socket on as
    /// net::ServerOptions::unix_socket_path.
    [[nodiscard]] bool hub_listens_on_socket() const {
        return std::filesystem::status(socket).type() == std::filesystem::file_type::socket;
    }
    static constexpr const char* kNotListening =
        "`atelier serve --engine-socket` did not create its socket: src/app/serve.cpp must set "
        "ServerOptions::unix_socket_path = config.engine_socket";

    std::map<std::string, std::string> auth() const { return {{"Authorization", hub->bearer()}}; }

    engines::LaunchSpec test_engine(engines::SandboxMode sandbox) {
        const auto response =
            http_request(hub->port(), "POST", "/api/engines/launch-tokens", auth(), json{{"kind", "test"}}.dump());
        EXPECT_EQ(response.status, 201) << response.body;
        engines::LaunchSpec spec;
        spec.command = {test_engine_binary()};
        spec.workdir = workdir;
        spec.log_file = dir.path() / "engine.log";
        spec.sandbox = sandbox;
        spec.hub_socket = socket;
        spec.sandbox_hidden = {hub->data_dir()};
        // A dead TCP port: only the socket can get the engine to the hub.
        spec.env = {{"ATELIER_HUB_URL", "ws://127.0.0.1:1/ws/engine"},
                    {"ATELIER_ENGINE_TOKEN", json::parse(response.body)["token"].get<std::string>()},
                    {"ATELIER_WORKDIR", workdir.string()}};
        return spec;
    }

    /// Waits for the engine to be listed with its tools, then runs basics__echo through REST.
    void expect_call_through_rest(engines::EngineProcess& process) {
        std::string id;
        for (int i = 0; i < 1000 && id.empty(); ++i) {
            const auto list = json::parse(http_request(hub->port(), "GET", "/api/engines", auth()).body);
            for (const auto& engine : list["items"]) {
                if (engine["registry_version"].get<int>() > 0) {
                    id = engine["id"];
                }
            }
            std::this_thread::sleep_for(20ms);
        }
        ASSERT_FALSE(id.empty()) << "engine log:\n" << process.log_tail(20) << "hub log:\n" << hub->log();
        const auto reply =
            http_request(hub->port(), "POST", "/api/engines/" + id + "/call", auth(),
                         json{{"tool", "basics__echo"}, {"arguments", {{"text", "via the socket"}}}}.dump());
        ASSERT_EQ(reply.status, 200) << reply.body;
        EXPECT_EQ(json::parse(reply.body)["data"]["text"], "via the socket") << reply.body;
        process.stop(5s);
    }

    TempDir dir;
    std::filesystem::path workdir = dir.path() / "tree";
    std::filesystem::path socket = dir.path() / "hub.sock";
    std::unique_ptr<HubProcess> hub;
    engines::LocalLauncher launcher;
};

TEST_F(LauncherTest, HubListensOnTheEngineSocket) {
    EXPECT_TRUE(hub_listens_on_socket()) << kNotListening;
}

TEST_F(LauncherTest, LaunchedEngineAnswersThroughTheHubSocket) {
    ASSERT_TRUE(hub_listens_on_socket()) << kNotListening;
    auto process = launcher.launch(test_engine(engines::SandboxMode::None));
    ASSERT_TRUE(process) << process.error().message;
    expect_call_through_rest(**process);
}

TEST_F(LauncherTest, SandboxedEngineAnswersThroughTheHubSocket) {
    if (auto check = launcher.check_sandbox(); !check) {
        GTEST_SKIP() << "bubblewrap cannot run here: " << check.error().message;
    }
    ASSERT_TRUE(hub_listens_on_socket()) << kNotListening;
    auto process = launcher.launch(test_engine(engines::SandboxMode::Bubblewrap));
    ASSERT_TRUE(process) << process.error().message;
    expect_call_through_rest(**process);
}

} // namespace
} // namespace atelier::testing
