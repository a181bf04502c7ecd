// SPDX-License-Identifier: Apache-2.0
// Engines in Docker containers (docs/containers.md), against a real Docker daemon: the one that
// answers on /var/run/docker.sock or $ATELIER_DOCKER_SOCKET, else one scripts/dockerd.sh starts
// (Debian docker.io, no bridge, host networking). The image is scripts/engine_image.sh's: a root
// without programs, the host's /usr bound read-only. Tests skip, saying why, only when no daemon
// can run here (not root, no dockerd).

#include "atelier/source_dir.h"
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSource{ATELIER_SOURCE_DIR};

class ContainerTest : public SessionTest {
protected:
    void SetUp() override {
        const auto daemon = run_command({(kSource / "scripts/dockerd.sh").string()});
        if (daemon.exit_code != 0) {
            GTEST_SKIP() << "no Docker daemon can run here: " << daemon.err;
        }
        socket = daemon.out.substr(0, daemon.out.find('\n'));
        const auto image =
            run_command({(kSource / "scripts/engine_image.sh").string(), kImage}, {{"DOCKER_SOCKET", socket}});
        ASSERT_EQ(image.exit_code, 0) << image.out << image.err;
    }

    /// The [engines.test] lines of a docker kind running the test engine from the build tree.
    std::string docker_kind(const std::string& memory) const {
        return "launcher = \"docker\"\nimage = \"" + std::string(kImage) + "\"\nmemory = \"" + memory +
               "\"\ncpus = 1\npids = 256\nhost_usr = true\nmounts = [\"" +
               fs::path(test_engine_binary()).parent_path().string() + "\", \"" + (kSource / "tests/engine").string() +
               "\"]\n";
    }

    /// The containers carrying `label` (e.g. "atelier.session=<id>"), running or not.
    json containers(const std::string& label) const {
        const auto filters = json{{"label", {label}}}.dump();
        const auto listed =
            run_command({"/usr/bin/curl", "-sfG", "--unix-socket", socket, "http://docker/containers/json",
                         "--data-urlencode", "all=1", "--data-urlencode", "filters=" + filters});
        EXPECT_EQ(listed.exit_code, 0) << listed.err;
        return json::parse(listed.out, nullptr, false);
    }

    json inspect(const std::string& id) const {
        const auto inspected =
            run_command({"/usr/bin/curl", "-sf", "--unix-socket", socket, "http://docker/containers/" + id + "/json"});
        return json::parse(inspected.out, nullptr, false);
    }

    static constexpr const char* kImage = "atelier-engine:host";
    std::string socket;
};

TEST_F(ContainerTest, ASessionInAContainerReachesReadyAndRunsACommand) {
    start_test_hub({"--docker-socket", socket}, docker_kind("512MiB"));
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    const std::string session_id = ready["session_id"];

    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "boxed"}}}});
    const auto result = tab.next("command:result");
    ASSERT_EQ(result["payload"]["ok"], true) << result.dump() << hub->log();
    const auto file = http_request(hub->port(), "GET", "/api/projects/" + project + "/files/scene.json", auth());
    EXPECT_NE(file.body.find("boxed"), std::string::npos) << file.body;

    // The engine really is that container, with the kind's limits.
    const auto listed = containers("atelier.session=" + session_id);
    ASSERT_EQ(listed.size(), 1U) << listed.dump();
    const auto info = inspect(listed[0]["Id"]);
    EXPECT_EQ(info["HostConfig"]["Memory"], 512LL << 20);
    EXPECT_EQ(info["HostConfig"]["NanoCpus"], 1'000'000'000LL);
    EXPECT_EQ(info["HostConfig"]["PidsLimit"], 256);
    EXPECT_EQ(info["HostConfig"]["NetworkMode"], "host");
    EXPECT_EQ(sessions()[0]["engine_pid"], info["State"]["Pid"]);

    // A clean shutdown removes the hub's containers.
    ASSERT_EQ(hub->stop(SIGTERM, std::chrono::seconds(30)), 0) << hub->log();
    EXPECT_EQ(containers("atelier.session=" + session_id).size(), 0U);
}

TEST_F(ContainerTest, AMemoryLimitBreachEndsLostWithTheReason) {
    // The engine grows past its 64 MiB before it dials the hub, as an engine opening too big a
    // scene would; no relaunch, so the first loss is final.
    start_hub(R"(["/bin/sh", "-c", "v=$(head -c 300000000 /dev/zero | tr '\\0' a); echo never"])",
              {"--docker-socket", socket, "--engine-max-attempts", "0"}, docker_kind("64MiB"));
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    tab.send("session:start", {{"project_id", project}});
    json lost;
    for (int i = 0; i < 5 && lost.is_null(); ++i) {
        const auto status = tab.next("session:status", std::chrono::seconds(60));
        ASSERT_FALSE(status.is_null()) << json(tab.seen).dump() << hub->log();
        if (status["payload"]["state"] == "lost") {
            lost = status;
        }
    }
    ASSERT_FALSE(lost.is_null());
    EXPECT_NE(lost["payload"]["detail"].get<std::string>().find("out of memory (limit 64 MiB)"), std::string::npos)
        << lost.dump();
}

TEST_F(ContainerTest, AKilledHubsContainersAreRemovedWhenItStartsAgain) {
    TempDir data;
    const auto config = config_dir.path() / "atelier.toml";
    std::ofstream(config) << "[engines.test]\ncommand = [\"" << test_engine_binary() << "\"]\n"
                          << docker_kind("512MiB");
    const HubProcess::Options options{.args = {"--config", config.string(), "--docker-socket", socket},
                                      .data_dir = data.path()};
    hub = HubProcess::start(options);
    const auto project = create_project(auth());
    std::string session_id;
    {
        Tab tab(*hub, hub->bearer());
        session_id = start_session(tab, project)["session_id"];
    }
    ASSERT_FALSE(session_id.empty());
    ASSERT_EQ(containers("atelier.session=" + session_id).size(), 1U);

    ASSERT_EQ(::kill(hub->pid(), SIGKILL), 0);
    hub->stop(SIGKILL, std::chrono::seconds(30)); // reaps the hub process
    EXPECT_EQ(containers("atelier.session=" + session_id).size(), 1U) << "the crash itself removed the container";

    hub = HubProcess::start(options); // the same hub again: same host, same data dir
    EXPECT_EQ(containers("atelier.session=" + session_id).size(), 0U) << hub->log();
}

} // namespace
} // namespace atelier::testing
