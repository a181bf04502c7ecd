// SPDX-License-Identifier: Apache-2.0
// Container and Pod launch against process launch (issue #24; results in docs/containers.md and
// docs/benchmarks.md). One hub, three engine kinds running the same C++ test engine:
//   process   — launcher = "local" (the floor: fork + exec on the hub's host)
//   container — launcher = "docker" (a real Docker daemon: create, start, the engine dials back)
//   pod       — launcher = "kubernetes" against the API *test double* (tests/k8s_double: HTTP
//               round trips and a local process; no scheduling, no image pull, no kubelet — this
//               figure is the hub's side of the API only, not a real cluster's Pod start-up)
// Each round starts a session of each kind in turn (interleaved, so drift hits all three alike) and
// measures session:start → session:ready; the tab then leaves and the engine is stopped.
//
// Usage: launch_bench --hub build/asan/atelier [--rounds 10]

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/source_dir.h"
#include "clients.h"
#include "hub_process.h"
#include "k8s_double.h"
#include "percentile.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace atelier::testing;
namespace fs = std::filesystem;

const fs::path kSource{ATELIER_SOURCE_DIR};

json wait_for(WsClient& client, const std::string& type) {
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
        auto message = client.read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
        if (!message) {
            break;
        }
        if (!message->is_text) {
            continue;
        }
        auto parsed = json::parse(message->data);
        if (parsed["type"] == type) {
            return parsed;
        }
        if (parsed["type"] == "session:status" && parsed["payload"]["state"] == "lost") {
            throw std::runtime_error("session lost: " + parsed.dump());
        }
    }
    throw std::runtime_error("no " + type + " within 120 s");
}

} // namespace

int main(int argc, char** argv) {
    std::string hub_binary = "build/asan/atelier";
    int rounds = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--hub") {
            hub_binary = argv[i + 1];
        } else if (flag == "--rounds") {
            rounds = std::stoi(argv[i + 1]);
        }
    }
    ::setenv("ATELIER_BINARY", fs::absolute(hub_binary).c_str(), 1);
    try {
        const auto daemon = run_command({(kSource / "scripts/dockerd.sh").string()});
        if (daemon.exit_code != 0) {
            std::fprintf(stderr, "launch_bench: no Docker daemon: %s", daemon.err.c_str());
            return 1;
        }
        const std::string socket = daemon.out.substr(0, daemon.out.find('\n'));
        if (run_command({(kSource / "scripts/engine_image.sh").string()}, {{"DOCKER_SOCKET", socket}}).exit_code != 0) {
            std::fprintf(stderr, "launch_bench: cannot build the engine image\n");
            return 1;
        }
        TempDir dir;
        K8sDouble k8s(dir.path());
        const std::string engine = test_engine_binary();
        const auto config = dir.path() / "atelier.toml";
        std::ofstream(config) << "[engines.process]\ncommand = [\"" << engine << "\", \"--kind\", \"process\"]\n"
                              << "[engines.container]\ncommand = [\"" << engine << "\", \"--kind\", \"container\"]\n"
                              << "launcher = \"docker\"\nimage = \"atelier-engine:host\"\nmemory = \"512MiB\"\n"
                              << "host_usr = true\nmounts = [\"" << fs::path(engine).parent_path().string() << "\", \""
                              << (kSource / "tests/engine").string() << "\"]\n"
                              << "[engines.pod]\ncommand = [\"" << engine << "\", \"--kind\", \"pod\"]\n"
                              << "launcher = \"kubernetes\"\nimage = \"atelier-engine:host\"\nkubeconfig = \""
                              << k8s.kubeconfig().string() << "\"\n";
        auto hub = HubProcess::start(
            {.args = {"--config", config.string(), "--docker-socket", socket, "--session-grace", "0.1"}});
        const std::map<std::string, std::string> auth{{"Authorization", hub->bearer()}};
        const std::vector<std::string> kinds{"process", "container", "pod"};
        std::map<std::string, std::vector<double>> ready_ms;
        for (int round = 0; round < rounds; ++round) {
            for (const auto& kind : kinds) {
                const auto created = http_request(hub->port(), "POST", "/api/projects", auth,
                                                  json{{"name", "bench"}, {"kind", kind}}.dump());
                const std::string project = json::parse(created.body)["id"];
                auto connection = WsClient::connect(hub->port(), "/ws/browser", auth);
                if (!connection.client) {
                    throw std::runtime_error("cannot open /ws/browser: " + connection.error);
                }
                const auto start = Clock::now();
                connection.client->send_text(
                    json{{"type", "session:start"}, {"id", "1"}, {"payload", {{"project_id", project}}}}.dump());
                wait_for(*connection.client, "session:ready");
                ready_ms[kind].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
                connection.client.reset(); // the tab leaves; the engine stops after the grace
            }
        }
        std::printf("| launcher | session:ready p50 (ms) | p90 (ms) | min (ms) | vs process p50 |\n");
        std::printf("|---|---|---|---|---|\n");
        const double floor = atelier::bench::percentile(ready_ms["process"], 0.5);
        for (const auto& kind : kinds) {
            auto& samples = ready_ms[kind];
            const double p50 = atelier::bench::percentile(samples, 0.5);
            std::printf("| %s | %.1f | %.1f | %.1f | %.2f× |\n", kind.c_str(), p50,
                        atelier::bench::percentile(samples, 0.9), *std::min_element(samples.begin(), samples.end()),
                        p50 / floor);
        }
        std::printf("(%d rounds, interleaved; floor: the process launcher, same run)\n", rounds);
        hub->stop(SIGTERM, std::chrono::seconds(60));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "launch_bench: %s\n", error.what());
        return 1;
    }
    return 0;
}
