// SPDX-License-Identifier: Apache-2.0
// The docker launcher against a real Docker daemon (scripts/dockerd.sh finds or starts one; the
// tests skip, saying why, only when none can run) with scripts/engine_image.sh's image.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "atelier/source_dir.h"
#include "engines/docker_launcher.h"
#include "hub_process.h"
#include "launcher_test_support.h"

namespace atelier::engines {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::shell;
using testing::wait_exit;

const std::string kSource = ATELIER_SOURCE_DIR;

class DockerLauncherTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto daemon = atelier::testing::run_command({kSource + "/scripts/dockerd.sh"});
        if (daemon.exit_code != 0) {
            GTEST_SKIP() << "no Docker daemon can run here: " << daemon.err;
        }
        options.docker_socket = daemon.out.substr(0, daemon.out.find('\n'));
        const auto image = atelier::testing::run_command({kSource + "/scripts/engine_image.sh"},
                                                         {{"DOCKER_SOCKET", options.docker_socket.string()}});
        ASSERT_EQ(image.exit_code, 0) << image.err;
        std::filesystem::create_directories(workdir);
        options.hub_id = "docker-launcher-test-" + std::to_string(::getpid());
        auto created = DockerLauncher::create(options);
        ASSERT_TRUE(created) << created.error().message;
        launcher = *created;
    }

    LaunchSpec spec(const std::string& script) {
        auto result = shell(script, workdir);
        result.command[0] = "/bin/sh";
        result.session_id = "s1";
        result.container.image = "atelier-engine:host";
        result.container.host_usr = true;
        return result;
    }

    /// This test's containers, running or not.
    std::size_t containers() const {
        ApiClient api({.base_url = "http://docker", .unix_socket = options.docker_socket});
        const auto filters = json{{"label", {"atelier.hub=" + options.hub_id}}}.dump();
        const auto listed = api.request("GET", "/containers/json?all=1&filters=" + url_encode(filters));
        EXPECT_TRUE(listed && listed->status == 200);
        return listed ? json::parse(listed->body).size() : 0;
    }

    atelier::testing::TempDir dir;
    std::filesystem::path workdir = dir.path() / "tree";
    LauncherOptions options;
    std::shared_ptr<DockerLauncher> launcher;
};

TEST_F(DockerLauncherTest, AMissingImageIsAClearError) {
    auto missing = spec("true");
    missing.container.image = "atelier-no-such-image:1";
    const auto process = launcher->launch(std::move(missing));
    ASSERT_FALSE(process);
    EXPECT_NE(process.error().message.find("no image \"atelier-no-such-image:1\""), std::string::npos)
        << process.error().message;
}

// docker-init (PID 1) starts, then cannot exec the engine: the engine ends at once with 127 and
// the reason in its log, which is what the session's "lost" detail shows.
TEST_F(DockerLauncherTest, AMissingCommandEndsTheEngineWithTheReasonInItsLog) {
    auto missing = spec("true");
    missing.command = {"/no/such/engine"};
    auto process = launcher->launch(std::move(missing));
    ASSERT_TRUE(process) << process.error().message;
    ASSERT_TRUE(wait_exit(**process, 60s));
    EXPECT_EQ((*process)->exit_status()->code, 127);
    EXPECT_NE((*process)->log_tail(5).find("/no/such/engine"), std::string::npos) << (*process)->log_tail(5);
    (*process)->stop(1s);
    EXPECT_EQ(containers(), 0U);
}

TEST_F(DockerLauncherTest, ExitCodeAndOutputComeBackAndStopRemovesTheContainer) {
    auto process = launcher->launch(spec("echo \"in $(pwd) as $(id -u)\"; exit 5"));
    ASSERT_TRUE(process) << process.error().message;
    EXPECT_EQ((*process)->describe().launcher, "docker");
    ASSERT_TRUE(wait_exit(**process, 60s));
    EXPECT_EQ((*process)->exit_status()->code, 5);
    EXPECT_EQ((*process)->log_tail(1), "in " + workdir.string() + " as " + std::to_string(::getuid()) + "\n");
    EXPECT_EQ(containers(), 1U); // kept until stopped: the hub reads the exit and the OOM flag first
    (*process)->stop(1s);
    EXPECT_EQ(containers(), 0U);
}

TEST_F(DockerLauncherTest, StopSendsSigtermToTheEngine) {
    auto process = launcher->launch(spec("trap 'echo got TERM; exit 7' TERM; echo up; sleep 600 & wait"));
    ASSERT_TRUE(process) << process.error().message;
    ASSERT_TRUE(testing::eventually([&] { return (*process)->log_tail(1) == "up\n"; }, 60s));
    const auto status = (*process)->stop(10s);
    EXPECT_EQ(status.code, 7) << status.describe();
    EXPECT_EQ(containers(), 0U);
}

} // namespace
} // namespace atelier::engines
