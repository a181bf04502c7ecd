// SPDX-License-Identifier: Apache-2.0
// Engines as Kubernetes Pods, end to end against the Kubernetes API *test double*
// (tests/k8s_double: a double that runs each Pod's command as a local process — no real API server
// can run here), and deploy/kubernetes/ read by the real kubectl.

#include "atelier/source_dir.h"

#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "k8s_double.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;

class KubernetesSessionTest : public SessionTest {
protected:
    /// GET `path` on the double, parsed.
    json on_double(const std::string& path) const {
        const auto port = static_cast<std::uint16_t>(std::stoi(k8s.url().substr(k8s.url().rfind(':') + 1)));
        const auto response = http_request(port, "GET", path, {});
        EXPECT_EQ(response.status, 200) << response.body;
        return json::parse(response.body, nullptr, false);
    }

    TempDir double_dir;
    K8sDouble k8s{double_dir.path()};
};

TEST_F(KubernetesSessionTest, ASessionWithAPodEngineReachesReadyAndRunsACommand) {
    start_test_hub({}, "launcher = \"kubernetes\"\nimage = \"atelier-engine:test\"\nmemory = \"512MiB\"\n"
                       "cpus = 1\nactive_deadline_seconds = 3600\nkubeconfig = \"" +
                           k8s.kubeconfig().string() + "\"\n");
    // Engines dial the hub's own loopback URL here (no hub_url: the double runs Pods on this host).
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    const std::string session_id = ready["session_id"];

    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "podded"}}}});
    const auto result = tab.next("command:result");
    ASSERT_EQ(result["payload"]["ok"], true) << result.dump() << hub->log();

    // The engine is that Pod, and its Secret exists while it runs.
    const auto pods = on_double("/api/v1/namespaces/default/pods?labelSelector=atelier.session%3D" + session_id);
    ASSERT_EQ(pods["items"].size(), 1U) << pods.dump();
    EXPECT_EQ(pods["items"][0]["status"]["phase"], "Running");
    EXPECT_EQ(sessions()[0]["engine_pid"], 0); // no pid: the engine runs on some node

    // The Pod's phase reached the tab as the session's status (Pending too, when the tab was
    // told before the double ran the Pod's command).
    std::vector<std::string> details;
    for (auto status = tab.next("session:status", std::chrono::seconds(5)); !status.is_null();
         status = tab.next("session:status", std::chrono::seconds(5))) {
        const std::string detail = status["payload"].value("detail", "");
        if (detail.starts_with("pod ")) {
            details.push_back(detail);
        }
        if (detail.ends_with(" is Running")) {
            break;
        }
    }
    ASSERT_FALSE(details.empty()) << hub->log();
    EXPECT_TRUE(details.back().ends_with(" is Running")) << json(details).dump();

    ASSERT_EQ(hub->stop(SIGTERM, std::chrono::seconds(30)), 0) << hub->log();
    const auto after = on_double("/api/v1/namespaces/default/pods");
    EXPECT_TRUE(after["items"].empty()) << after.dump();
    const auto secrets = on_double("/api/v1/namespaces/default/secrets");
    EXPECT_TRUE(secrets["items"].empty()) << secrets.dump();
}

TEST_F(KubernetesSessionTest, DeployManifestsApplyWithKubectlDryRun) {
    const auto kubectl = find_kubectl();
    ASSERT_FALSE(kubectl.empty()) << "no kubectl on PATH: scripts/deps.sh test installs Debian's kubernetes-client";
    // --validate=false: the double has no OpenAPI document. kubectl still parses every manifest,
    // maps each kind through discovery and GETs each object, which a typo'd kind or a broken YAML
    // document fails.
    const auto applied = run_command({kubectl, "--server=" + k8s.url(), "--validate=false", "apply", "--dry-run=client",
                                      "-f", std::string(ATELIER_SOURCE_DIR) + "/deploy/kubernetes/"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    for (const auto* object :
         {"serviceaccount/atelier-hub", "role.rbac.authorization.k8s.io/atelier-engines",
          "rolebinding.rbac.authorization.k8s.io/atelier-hub-engines", "service/atelier-hub",
          "statefulset.apps/atelier-hub", "persistentvolumeclaim/atelier-data", "configmap/atelier-config",
          "ingress.networking.k8s.io/atelier", "statefulset.apps/atelier-postgres"}) {
        EXPECT_NE(applied.out.find(std::string(object) + " created (dry run)"), std::string::npos) << object << "\n"
                                                                                                   << applied.out;
    }
}

} // namespace
} // namespace atelier::testing
