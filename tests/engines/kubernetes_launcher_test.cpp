// SPDX-License-Identifier: Apache-2.0
// The kubernetes launcher against the Kubernetes API *test double* (tests/k8s_double: a double that
// runs each Pod's command as a local process; no real API server can run here), the emitted Pod and
// Secret checked with the real kubectl and a JSON schema (tests/k8s_double/pod.schema.json).

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "engines/kubernetes_launcher.h"
#include "engines/launcher_registry.h"
#include "hub_process.h"
#include "k8s_double.h"
#include "launcher_test_support.h"

namespace atelier::engines {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;
using testing::shell;
using testing::wait_exit;

class KubernetesLauncherTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::filesystem::create_directories(workdir);
        options.hub_id = "hub-under-test";
        options.data_dir = dir.path();
        options.kubeconfig = k8s.kubeconfig();
        auto created = KubernetesLauncher::create(options);
        ASSERT_TRUE(created) << created.error().message;
        launcher = *created;
    }

    LaunchSpec spec(const std::string& script) {
        auto result = shell(script, workdir);
        result.command[0] = "/bin/sh";
        result.session_id = "session-1";
        result.env = {{"ATELIER_ENGINE_TOKEN", "one-time-token"}, {"ATELIER_SESSION_ID", "session-1"}};
        result.container.image = "atelier-engine:1";
        result.container.memory_bytes = 512 << 20;
        result.container.cpus = 1.5;
        result.container.active_deadline_seconds = 3600;
        return result;
    }

    /// GET on the double; the parsed body, or null on 404.
    json get(const std::string& path) const {
        const auto response = api.request("GET", path);
        EXPECT_TRUE(response) << response.error().message;
        return response && response->status == 200 ? json::parse(response->body) : json();
    }

    json items(const std::string& resource) const {
        return get("/api/v1/namespaces/default/" + resource + "?labelSelector=atelier.hub%3Dhub-under-test")["items"];
    }

    atelier::testing::TempDir dir;
    std::filesystem::path workdir = dir.path() / "sessions" / "session-1";
    atelier::testing::K8sDouble k8s{dir.path()};
    ApiClient api{ApiEndpoint{.base_url = k8s.url()}};
    LauncherOptions options;
    std::shared_ptr<KubernetesLauncher> launcher;
};

TEST_F(KubernetesLauncherTest, APodRunsTheCommandWithTheTokenFromItsSecret) {
    auto process = launcher->launch(spec("echo \"token=$ATELIER_ENGINE_TOKEN cwd=$(pwd)\"; exit 3"));
    ASSERT_TRUE(process) << process.error().message;
    ASSERT_TRUE(wait_exit(**process, 30s));
    EXPECT_EQ((*process)->exit_status()->code, 3);
    EXPECT_EQ((*process)->log_tail(5), "token=one-time-token cwd=" + workdir.string() + "\n");
    EXPECT_EQ((*process)->describe().launcher, "kubernetes");
    EXPECT_FALSE((*process)->describe().pid.has_value());

    // The token reached the Pod through the Secret only; the Pod spec names it, never holds it.
    const auto pods = items("pods");
    ASSERT_EQ(pods.size(), 1U);
    EXPECT_EQ(pods[0].dump().find("one-time-token"), std::string::npos) << pods[0].dump();
    EXPECT_EQ(pods[0]["spec"]["restartPolicy"], "Never");
    EXPECT_EQ(pods[0]["spec"]["automountServiceAccountToken"], false);
    EXPECT_EQ(pods[0]["metadata"]["labels"]["atelier.session"], "session-1");
    EXPECT_EQ(pods[0]["spec"]["containers"][0]["resources"]["limits"],
              json({{"cpu", "1500m"}, {"memory", "536870912"}}));
    ASSERT_EQ(items("secrets").size(), 1U);

    (*process)->stop(1s);
    EXPECT_TRUE(items("pods").empty());
    EXPECT_TRUE(items("secrets").empty());
}

TEST_F(KubernetesLauncherTest, StopDeletesTheRunningPodAndItsSecret) {
    auto process = launcher->launch(spec("exec sleep 600"));
    ASSERT_TRUE(process) << process.error().message;
    ASSERT_TRUE(
        eventually([&] { return items("pods").size() == 1 && items("pods")[0]["status"]["phase"] == "Running"; }, 30s));
    const auto status = (*process)->stop(1s);
    EXPECT_FALSE((*process)->running());
    EXPECT_TRUE(status.code.has_value() || !status.reason.empty()) << status.describe();
    EXPECT_TRUE(items("pods").empty());
    EXPECT_TRUE(items("secrets").empty());
}

TEST_F(KubernetesLauncherTest, TheActiveDeadlineEndsThePodWithTheReason) {
    auto deadline = spec("exec sleep 600");
    deadline.container.active_deadline_seconds = 1;
    auto process = launcher->launch(std::move(deadline));
    ASSERT_TRUE(process) << process.error().message;
    ASSERT_TRUE(wait_exit(**process, 60s));
    EXPECT_NE((*process)->exit_status()->describe().find("activeDeadlineSeconds (1 s)"), std::string::npos)
        << (*process)->exit_status()->describe();
}

TEST_F(KubernetesLauncherTest, ANewLauncherOfTheSameHubDeletesItsLeftovers) {
    auto process = launcher->launch(spec("exec sleep 600"));
    ASSERT_TRUE(process) << process.error().message;
    ASSERT_EQ(items("pods").size(), 1U);
    auto again = KubernetesLauncher::create(options); // the hub restarted after a crash
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(items("pods").empty());
    EXPECT_TRUE(items("secrets").empty());
    EXPECT_TRUE(wait_exit(**process, 30s)); // the watch saw the deletion
}

TEST_F(KubernetesLauncherTest, AKubeconfigWithoutTheCurrentContextIsAClearError) {
    std::ofstream(dir.path() / "broken") << "apiVersion: v1\nkind: Config\ncurrent-context: nowhere\ncontexts: []\n";
    const auto endpoint = kubernetes_endpoint(dir.path() / "broken");
    ASSERT_FALSE(endpoint);
    EXPECT_NE(endpoint.error().message.find("no context \"nowhere\""), std::string::npos) << endpoint.error().message;
}

// The schema check: every emitted object validates, and a wrong one does not (so the check can fail).
TEST(KubernetesManifests, EmittedPodAndSecretMatchTheSchema) {
    std::ifstream file(std::string(ATELIER_SOURCE_DIR) + "/tests/k8s_double/pod.schema.json");
    const auto schema_json = json::parse(file);
    valijson::Schema schema;
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_json);
    parser.populateSchema(schema_adapter, schema);
    const auto valid = [&](const json& object) {
        valijson::Validator validator;
        valijson::adapters::NlohmannJsonAdapter adapter(object);
        return validator.validate(schema, adapter, nullptr);
    };

    LaunchSpec spec;
    spec.command = {"blender", "-b", "--python", "/opt/atelier/bootstrap.py"};
    spec.workdir = "/data/sessions/0b7f-SESSION";
    spec.session_id = "0b7f-SESSION";
    spec.env = {{"ATELIER_ENGINE_TOKEN", "t"}, {"ATELIER_HUB_URL", "ws://hub-0.hub:8420/ws/engine"}};
    spec.container = {
        .image = "atelier-engine:1", .memory_bytes = 2LL << 30, .cpus = 2, .active_deadline_seconds = 3600};
    LauncherOptions options{.hub_id = "hub-0", .data_dir = "/data", .volume_claim = "atelier-data"};
    const auto pod = KubernetesLauncher::pod_manifest(spec, "atelier-0b7f-session-1a2b3c4d", options);
    const auto secret = KubernetesLauncher::secret_manifest(spec, "atelier-0b7f-session-1a2b3c4d", options);
    EXPECT_TRUE(valid(pod)) << pod.dump(2);
    EXPECT_TRUE(valid(secret)) << secret.dump(2);
    EXPECT_EQ(pod["spec"]["containers"][0]["volumeMounts"][0]["subPath"], "sessions/0b7f-SESSION");

    options.volume_claim.clear(); // hostPath for development
    EXPECT_TRUE(valid(KubernetesLauncher::pod_manifest(spec, "atelier-x", options)));
    auto restarting = pod;
    restarting["spec"]["restartPolicy"] = "Always";
    EXPECT_FALSE(valid(restarting));
    auto bad_name = pod;
    bad_name["metadata"]["name"] = "Atelier_Pod";
    EXPECT_FALSE(valid(bad_name));
}

// kubectl (Debian's kubernetes-client or any other on PATH) reads the emitted objects, creates them
// on the double, and gives the same objects back from a client-side dry run. `--validate=false`:
// the double serves no OpenAPI document; the schema test above checks the fields instead.
TEST_F(KubernetesLauncherTest, KubectlCreatesTheEmittedPodAndSecret) {
    const auto kubectl = atelier::testing::find_kubectl();
    ASSERT_FALSE(kubectl.empty()) << "no kubectl on PATH: scripts/deps.sh test installs Debian's kubernetes-client";
    auto emitted = spec("exit 0");
    const auto pod = KubernetesLauncher::pod_manifest(emitted, "atelier-kubectl-check", options);
    const auto secret = KubernetesLauncher::secret_manifest(emitted, "atelier-kubectl-check", options);
    const auto pod_file = dir.path() / "pod.json";
    const auto secret_file = dir.path() / "secret.json";
    std::ofstream(pod_file) << pod.dump(2);
    std::ofstream(secret_file) << secret.dump(2);

    const auto dry = atelier::testing::run_command({kubectl, "--server=" + k8s.url(), "--validate=false", "create",
                                                    "--dry-run=client", "-o", "json", "-f", pod_file.string()});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    const auto round_trip = json::parse(dry.out);
    EXPECT_EQ(round_trip["spec"], pod["spec"]) << dry.out;
    EXPECT_EQ(round_trip["metadata"]["labels"], pod["metadata"]["labels"]);

    const auto created = atelier::testing::run_command({kubectl, "--server=" + k8s.url(), "--validate=false", "create",
                                                        "-f", secret_file.string(), "-f", pod_file.string()});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    EXPECT_NE(created.out.find("pod/atelier-kubectl-check created"), std::string::npos) << created.out;
    ASSERT_TRUE(eventually(
        [&] {
            const auto phase =
                atelier::testing::run_command({kubectl, "--server=" + k8s.url(), "get", "pod", "atelier-kubectl-check",
                                               "-o", "jsonpath={.status.phase}"});
            return phase.out == "Succeeded";
        },
        30s));
}

TEST(LauncherRegistry, AnUnknownLauncherNamesTheKnownOnes) {
    LauncherRegistry registry;
    registry.add("local", [](const LauncherOptions&) -> Result<std::shared_ptr<EngineLauncher>> {
        return std::make_shared<LocalLauncher>();
    });
    registry.add("docker", [](const LauncherOptions&) -> Result<std::shared_ptr<EngineLauncher>> {
        return fail(ErrorCode::Unavailable, "no daemon");
    });
    EXPECT_TRUE(registry.create("local", {}));
    const auto unknown = registry.create("nomad", {});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "unknown launcher \"nomad\" (known: docker, local)");
    EXPECT_EQ(registry.create("docker", {}).error().message, "no daemon");
}

} // namespace
} // namespace atelier::engines
