// SPDX-License-Identifier: Apache-2.0
#include "engines/kubernetes_launcher.h"

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engines/capped_log.h"
#include "engines/docker_launcher.h"

namespace atelier::engines {
namespace {

using namespace std::chrono_literals;

constexpr auto kApiTimeout = 30s;
// Kubernetes object names: DNS-1123 labels (lowercase alphanumerics and '-', at most 63).
std::string object_name(const std::string& session_id) {
    std::string name = "atelier-";
    for (const char c : session_id.empty() ? std::string("engine") : session_id) {
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        name.push_back(std::isalnum(static_cast<unsigned char>(lower)) != 0 ? lower : '-');
    }
    name = name.substr(0, 54);
    std::random_device random;
    return name + fmt::format("-{:08x}", random());
}

std::string label_value(std::string text) {
    // Label values: at most 63 of [A-Za-z0-9_.-], starting and ending alphanumeric.
    for (char& c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_' && c != '.') {
            c = '-';
        }
    }
    return text.substr(0, 63);
}

// Shared by a KubernetesPod and its watch thread.
struct PodState {
    std::shared_ptr<const ApiClient> client;
    std::string pods_path;    ///< /api/v1/namespaces/<ns>/pods
    std::string secrets_path; ///< /api/v1/namespaces/<ns>/secrets
    std::string name;
    std::string resource_version;
    std::int64_t memory_bytes = 0;
    std::int64_t deadline_seconds = 0;
    std::unique_ptr<CappedLog> log;
    std::atomic<bool> cancel{false};
    std::mutex mutex;
    std::condition_variable changed;
    std::string phase = "Pending";
    std::string shown;  ///< the last status told to the status callbacks
    std::string pod_ip; ///< status.podIP, once the Pod has one
    bool deleted = false;
    std::optional<ExitStatus> status;
    std::vector<std::function<void(const ExitStatus&)>> callbacks;
    std::vector<std::function<void(const std::string&)>> status_callbacks;
};

// Why a Pod is in its phase, when it says: the Pod's reason (Evicted, DeadlineExceeded), a
// container's waiting or terminated reason (ContainerCreating, ImagePullBackOff, OOMKilled), or
// an unscheduled Pod's condition (Unschedulable).
std::string pod_reason(const nlohmann::json& pod_status) {
    if (const auto reason = pod_status.value("reason", ""); !reason.empty()) {
        return reason;
    }
    for (const auto& container : pod_status.value("containerStatuses", nlohmann::json::array())) {
        const auto state = container.value("state", nlohmann::json::object());
        for (const char* kind : {"waiting", "terminated"}) {
            if (state.contains(kind) && state[kind].is_object()) {
                if (const auto reason = state[kind].value("reason", ""); !reason.empty()) {
                    return reason;
                }
            }
        }
    }
    for (const auto& condition : pod_status.value("conditions", nlohmann::json::array())) {
        if (condition.value("status", "") == "False" && !condition.value("reason", "").empty()) {
            return condition.value("reason", "");
        }
    }
    return {};
}

// "pod NAME is PHASE", with the reason when the Pod gives one.
std::string pod_status_text(const std::string& name, const std::string& phase, const std::string& reason) {
    if (reason.empty()) {
        return fmt::format("pod {} is {}", name, phase);
    }
    return phase == "Failed" ? fmt::format("pod {} Failed: {}", name, reason)
                             : fmt::format("pod {} is {} ({})", name, phase, reason);
}

// How a Pod in a terminal phase (or deleted) ended: its container's exit code and reason.
ExitStatus pod_exit(const nlohmann::json& pod, const PodState& state, bool deleted) {
    ExitStatus status;
    const auto& pod_status = pod.contains("status") ? pod["status"] : nlohmann::json::object();
    if (pod_status.value("reason", "") == "DeadlineExceeded") {
        status.reason = fmt::format("the Pod ran past its activeDeadlineSeconds ({} s)", state.deadline_seconds);
    }
    for (const auto& container : pod_status.value("containerStatuses", nlohmann::json::array())) {
        const auto& terminated =
            container.contains("state") ? container["state"].value("terminated", nlohmann::json()) : nlohmann::json();
        if (!terminated.is_object()) {
            continue;
        }
        if (terminated.contains("exitCode") && terminated["exitCode"].is_number_integer()) {
            status.code = terminated["exitCode"].get<int>();
        }
        if (terminated.value("reason", "") == "OOMKilled") {
            status.reason = state.memory_bytes > 0
                                ? fmt::format("out of memory (limit {})", describe_memory(state.memory_bytes))
                                : std::string("out of memory");
        }
    }
    if (!status.code && status.reason.empty()) {
        status.reason = deleted ? "the Pod was deleted" : "the Pod ended (" + pod_status.value("phase", "?") + ")";
    }
    return status;
}

void finish(PodState& state, const ExitStatus& status) {
    // The last output, before anyone reads log_tail for the reason.
    if (const auto logs = state.client->request("GET", fmt::format("{}/{}/log", state.pods_path, state.name), {}, 10s);
        logs && logs->status == 200) {
        state.log->append(logs->body);
    }
    std::vector<std::function<void(const ExitStatus&)>> callbacks;
    {
        const std::lock_guard lock(state.mutex);
        if (state.status) {
            return;
        }
        state.status = status;
        callbacks.swap(state.callbacks);
        state.changed.notify_all();
    }
    for (const auto& callback : callbacks) {
        callback(status);
    }
}

// Applies one Pod object; true when it reached its end.
bool observe(PodState& state, const nlohmann::json& pod, bool deleted) {
    if (!pod.is_object()) {
        return false;
    }
    const auto pod_status =
        pod.contains("status") && pod["status"].is_object() ? pod["status"] : nlohmann::json::object();
    const std::string phase = pod_status.value("phase", "Pending");
    const std::string shown = pod_status_text(state.name, phase, pod_reason(pod_status));
    std::vector<std::function<void(const std::string&)>> tell;
    {
        const std::lock_guard lock(state.mutex);
        if (pod.contains("metadata")) {
            state.resource_version = pod["metadata"].value("resourceVersion", state.resource_version);
        }
        if (const auto ip = pod_status.value("podIP", ""); !ip.empty()) {
            state.pod_ip = ip;
        }
        if (phase != state.phase) {
            state.phase = phase;
            state.changed.notify_all();
        }
        if (shown != state.shown) {
            spdlog::info("kubernetes: {}", shown);
            state.shown = shown;
            tell = state.status_callbacks;
        }
    }
    for (const auto& callback : tell) {
        callback(shown);
    }
    if (deleted || phase == "Succeeded" || phase == "Failed") {
        finish(state, pod_exit(pod, state, deleted));
        return true;
    }
    return false;
}

// Watches the Pod until it ends. A watch the server closes (its timeout) is re-established from
// the last resourceVersion; a broken connection is retried after a pause.
void watch_pod(const std::shared_ptr<PodState>& state) {
    while (!state->cancel.load()) {
        std::string resource_version;
        {
            const std::lock_guard lock(state->mutex);
            resource_version = state->resource_version;
        }
        bool ended = false;
        std::string pending;
        const auto on_data = [&](std::string_view bytes) {
            pending.append(bytes);
            for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
                const auto event = nlohmann::json::parse(pending.substr(0, newline), nullptr, false);
                pending.erase(0, newline + 1);
                if (!event.is_object()) {
                    continue;
                }
                const std::string type = event.value("type", "");
                if (type == "ERROR") {
                    // 410 Gone: the resourceVersion is too old; start over from a fresh GET.
                    const std::lock_guard lock(state->mutex);
                    state->resource_version.clear();
                    return false;
                }
                if (observe(*state, event.value("object", nlohmann::json()), type == "DELETED")) {
                    ended = true;
                    return false;
                }
            }
            return true;
        };
        if (resource_version.empty()) {
            const auto got =
                state->client->request("GET", fmt::format("{}/{}", state->pods_path, state->name), {}, kApiTimeout);
            if (got && got->status == 404) {
                return finish(*state, ExitStatus{std::nullopt, std::nullopt, "the Pod was deleted"});
            }
            if (got && got->status == 200 && observe(*state, nlohmann::json::parse(got->body, nullptr, false), false)) {
                return;
            }
        }
        {
            const std::lock_guard lock(state->mutex);
            resource_version = state->resource_version;
        }
        const auto watched = state->client->stream(
            "GET",
            fmt::format("{}?watch=1&fieldSelector={}&resourceVersion={}&timeoutSeconds=300", state->pods_path,
                        url_encode("metadata.name=" + state->name), url_encode(resource_version)),
            {}, on_data, &state->cancel);
        if (ended || state->cancel.load()) {
            return;
        }
        if (!watched) {
            spdlog::warn("kubernetes: watch of pod {} failed: {}", state->name, watched.error().message);
            std::unique_lock lock(state->mutex);
            state->changed.wait_for(lock, 1s, [&] { return state->cancel.load(); });
        }
    }
}

void delete_objects(PodState& state, std::chrono::milliseconds grace) {
    {
        const std::lock_guard lock(state.mutex);
        if (state.deleted) {
            return;
        }
        state.deleted = true;
    }
    const auto seconds = static_cast<long>(std::ceil(static_cast<double>(grace.count()) / 1000.0));
    const nlohmann::json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"gracePeriodSeconds", seconds}};
    for (const auto& path : {state.pods_path, state.secrets_path}) {
        const auto deleted = state.client->request("DELETE", fmt::format("{}/{}", path, state.name), options.dump(),
                                                   grace + kApiTimeout);
        if (!deleted || (deleted->status != 200 && deleted->status != 202 && deleted->status != 404)) {
            spdlog::warn("kubernetes: cannot delete {}/{}: {}", path, state.name,
                         deleted ? api_error_message(*deleted) : deleted.error().message);
        }
    }
}

class KubernetesPod final : public EngineProcess {
public:
    KubernetesPod(std::shared_ptr<PodState> state, std::string namespace_name)
        : m_state(std::move(state)), m_namespace(std::move(namespace_name)) {
        m_watcher = std::thread([state = m_state] { watch_pod(state); });
    }
    ~KubernetesPod() override {
        delete_objects(*m_state, 0ms);
        {
            // The deletion ends the watch; cancel is the fallback for an API that went away.
            std::unique_lock lock(m_state->mutex);
            m_state->changed.wait_for(lock, kApiTimeout, [&] { return m_state->status.has_value(); });
        }
        m_state->cancel = true;
        m_state->changed.notify_all();
        if (m_watcher.get_id() == std::this_thread::get_id()) {
            m_watcher.detach();
        } else if (m_watcher.joinable()) {
            m_watcher.join();
        }
    }
    KubernetesPod(const KubernetesPod&) = delete;
    KubernetesPod& operator=(const KubernetesPod&) = delete;

    [[nodiscard]] EngineDescription describe() const override {
        // No pid: the engine runs on some node; its preview is reached on the Pod's own address.
        const std::lock_guard lock(m_state->mutex);
        return {"kubernetes", m_namespace + "/" + m_state->name, std::nullopt, m_state->pod_ip};
    }
    void on_status(std::function<void(const std::string& status)> callback) override {
        std::string shown;
        {
            const std::lock_guard lock(m_state->mutex);
            m_state->status_callbacks.push_back(callback);
            shown = m_state->shown;
        }
        if (!shown.empty()) {
            callback(shown);
        }
    }
    [[nodiscard]] bool running() const override {
        const std::lock_guard lock(m_state->mutex);
        return !m_state->status;
    }
    [[nodiscard]] std::optional<ExitStatus> exit_status() const override {
        const std::lock_guard lock(m_state->mutex);
        return m_state->status;
    }
    ExitStatus stop(std::chrono::milliseconds grace) override {
        const std::lock_guard stopping(m_stop_mutex);
        delete_objects(*m_state, grace);
        std::unique_lock lock(m_state->mutex);
        m_state->changed.wait_for(lock, grace + kApiTimeout, [&] { return m_state->status.has_value(); });
        return m_state->status.value_or(ExitStatus{std::nullopt, std::nullopt, "the Pod did not report its end"});
    }
    [[nodiscard]] std::string log_tail(std::size_t lines) const override {
        if (running()) {
            const auto logs = m_state->client->request(
                "GET", fmt::format("{}/{}/log?tailLines={}", m_state->pods_path, m_state->name, lines), {}, 5s);
            if (logs && logs->status == 200) {
                return logs->body;
            }
        }
        return m_state->log->tail(lines);
    }
    void on_exit(std::function<void(const ExitStatus&)> callback) override {
        std::optional<ExitStatus> status;
        {
            const std::lock_guard lock(m_state->mutex);
            if (!m_state->status) {
                m_state->callbacks.push_back(std::move(callback));
                return;
            }
            status = m_state->status;
        }
        callback(*status);
    }

private:
    std::shared_ptr<PodState> m_state;
    std::string m_namespace;
    std::mutex m_stop_mutex;
    std::thread m_watcher;
};

std::string cpu_quantity(double cpus) {
    return fmt::format("{}m", static_cast<std::int64_t>(std::llround(cpus * 1000)));
}

} // namespace

KubernetesLauncher::KubernetesLauncher(ApiClient client, LauncherOptions options)
    : m_client(std::make_shared<const ApiClient>(std::move(client))), m_options(std::move(options)) {}

Result<std::shared_ptr<KubernetesLauncher>> KubernetesLauncher::create(const LauncherOptions& options) {
    ApiClient client(ATELIER_TRY(kubernetes_endpoint(options.kubeconfig)));
    const auto version = ATELIER_TRY(client.request("GET", "/version", {}, 10s));
    if (version.status != 200) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("{}: /version answered {}", client.endpoint().label, api_error_message(version)));
    }
    auto launcher = std::shared_ptr<KubernetesLauncher>(new KubernetesLauncher(std::move(client), options));
    const auto reaped = ATELIER_TRY(launcher->reap());
    if (reaped > 0) {
        spdlog::info("kubernetes: deleted {} Pods and Secrets a previous run of this hub left", reaped);
    }
    return launcher;
}

KubernetesLauncher::~KubernetesLauncher() {
    if (const auto reaped = reap(); !reaped) {
        spdlog::warn("kubernetes: could not delete this hub's Pods at shutdown: {}", reaped.error().message);
    }
}

Result<std::size_t> KubernetesLauncher::reap() const {
    std::size_t deleted = 0;
    for (const char* resource : {"pods", "secrets"}) {
        const std::string path = fmt::format("/api/v1/namespaces/{}/{}", m_options.kubernetes_namespace, resource);
        const auto listed = ATELIER_TRY(m_client->request(
            "GET", path + "?labelSelector=" + url_encode("atelier.hub=" + label_value(m_options.hub_id)), {},
            kApiTimeout));
        if (listed.status != 200) {
            return fail(ErrorCode::Unavailable,
                        fmt::format("kubernetes: cannot list {}: {}", resource, api_error_message(listed)));
        }
        const auto list = nlohmann::json::parse(listed.body, nullptr, false);
        for (const auto& item :
             list.is_object() ? list.value("items", nlohmann::json::array()) : nlohmann::json::array()) {
            const std::string name = item["metadata"].value("name", "");
            const auto removed =
                m_client->request("DELETE", path + "/" + name,
                                  R"({"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0})", kApiTimeout);
            if (removed && removed->status < 300) {
                ++deleted;
            }
        }
    }
    return deleted;
}

nlohmann::json KubernetesLauncher::secret_manifest(const LaunchSpec& spec, const std::string& name,
                                                   const LauncherOptions& options) {
    const auto token = spec.env.find("ATELIER_ENGINE_TOKEN");
    return {
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata",
         {{"name", name},
          {"namespace", options.kubernetes_namespace},
          {"labels",
           {{"app.kubernetes.io/name", "atelier-engine"},
            {"atelier.hub", label_value(options.hub_id)},
            {"atelier.session", label_value(spec.session_id)}}}}},
        {"type", "Opaque"},
        {"stringData", {{"token", token == spec.env.end() ? std::string() : token->second}}},
    };
}

nlohmann::json KubernetesLauncher::pod_manifest(const LaunchSpec& spec, const std::string& name,
                                                const LauncherOptions& options) {
    nlohmann::json env = nlohmann::json::array();
    for (const auto& [variable, value] : spec.env) {
        if (variable == "ATELIER_ENGINE_TOKEN") {
            env.push_back({{"name", variable}, {"valueFrom", {{"secretKeyRef", {{"name", name}, {"key", "token"}}}}}});
        } else {
            env.push_back({{"name", variable}, {"value", value}});
        }
    }
    nlohmann::json container = {
        {"name", "engine"},
        {"image", spec.container.image},
        {"command", spec.command},
        {"workingDir", spec.workdir.string()},
        {"env", env},
        {"volumeMounts", {{{"name", "workdir"}, {"mountPath", spec.workdir.string()}}}},
    };
    nlohmann::json limits = nlohmann::json::object();
    if (spec.container.memory_bytes > 0) {
        limits["memory"] = std::to_string(spec.container.memory_bytes);
    }
    if (spec.container.cpus > 0) {
        limits["cpu"] = cpu_quantity(spec.container.cpus);
    }
    if (!limits.empty()) {
        // Requests equal to limits: the Pod is Guaranteed and the scheduler places it by its size.
        container["resources"] = {{"limits", limits}, {"requests", limits}};
    }
    nlohmann::json volume = {{"name", "workdir"}};
    if (!options.volume_claim.empty()) {
        // The claim holds the hub's data dir; the Pod sees only its own working tree of it.
        const auto relative = spec.workdir.lexically_relative(options.data_dir);
        container["volumeMounts"][0]["subPath"] = relative.string();
        volume["persistentVolumeClaim"] = {{"claimName", options.volume_claim}};
    } else {
        volume["hostPath"] = {{"path", spec.workdir.string()}, {"type", "Directory"}};
    }
    nlohmann::json pod_spec = {
        {"restartPolicy", "Never"}, // the hub relaunches a lost engine itself, with backoff
        {"automountServiceAccountToken", false},
        {"enableServiceLinks", false},
        {"containers", {container}},
        {"volumes", {volume}},
    };
    if (spec.container.active_deadline_seconds > 0) {
        pod_spec["activeDeadlineSeconds"] = spec.container.active_deadline_seconds;
    }
    return {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"name", name},
          {"namespace", options.kubernetes_namespace},
          {"labels",
           {{"app.kubernetes.io/name", "atelier-engine"},
            {"atelier.hub", label_value(options.hub_id)},
            {"atelier.session", label_value(spec.session_id)}}}}},
        {"spec", pod_spec},
    };
}

Result<std::unique_ptr<EngineProcess>> KubernetesLauncher::launch(LaunchSpec spec) {
    if (spec.command.empty()) {
        return fail(ErrorCode::InvalidArgument, "kubernetes: the engine command is empty");
    }
    auto log = ATELIER_TRY(CappedLog::open(spec.log_file, spec.log_limit_bytes));
    const std::string name = object_name(spec.session_id);
    const std::string base = fmt::format("/api/v1/namespaces/{}", m_options.kubernetes_namespace);
    const auto secret = ATELIER_TRY(
        m_client->request("POST", base + "/secrets", secret_manifest(spec, name, m_options).dump(), kApiTimeout));
    if (secret.status != 201) {
        return fail(ErrorCode::Unavailable, "kubernetes: cannot create the Secret: " + api_error_message(secret));
    }
    const auto created =
        m_client->request("POST", base + "/pods", pod_manifest(spec, name, m_options).dump(), kApiTimeout);
    if (!created || created->status != 201) {
        (void)m_client->request("DELETE", base + "/secrets/" + name, {}, kApiTimeout); // best effort: no leak
        return fail(ErrorCode::Unavailable, "kubernetes: cannot create the Pod: " +
                                                (created ? api_error_message(*created) : created.error().message));
    }
    auto state = std::make_shared<PodState>();
    state->client = m_client;
    state->pods_path = base + "/pods";
    state->secrets_path = base + "/secrets";
    state->name = name;
    state->memory_bytes = spec.container.memory_bytes;
    state->deadline_seconds = spec.container.active_deadline_seconds;
    state->log = std::move(log);
    const auto pod = nlohmann::json::parse(created->body, nullptr, false);
    if (pod.is_object() && pod.contains("metadata")) {
        state->resource_version = pod["metadata"].value("resourceVersion", "");
    }
    auto process = std::make_unique<KubernetesPod>(state, m_options.kubernetes_namespace);
    if (spec.on_exit) {
        process->on_exit(std::move(spec.on_exit));
    }
    return std::unique_ptr<EngineProcess>(std::move(process));
}

} // namespace atelier::engines
