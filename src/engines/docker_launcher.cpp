// SPDX-License-Identifier: Apache-2.0
#include "engines/docker_launcher.h"

#include <unistd.h>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engines/capped_log.h"

namespace atelier::engines {
namespace {

using namespace std::chrono_literals;

constexpr auto kApiTimeout = 30s;
// How long the exit waits for the log stream to deliver the container's last output.
constexpr auto kLogDrainTimeout = 2s;

// Shared by a DockerProcess and its two threads, which may finish after it is destroyed.
struct ContainerState {
    std::shared_ptr<const ApiClient> client;
    std::string id;
    std::int64_t memory_bytes = 0;
    std::unique_ptr<CappedLog> log;
    std::atomic<bool> cancel{false};
    std::mutex mutex;
    std::condition_variable changed;
    bool logs_done = false;
    bool removed = false;
    std::optional<ExitStatus> status;
    std::vector<std::function<void(const ExitStatus&)>> callbacks;
};

// The container's output: without a TTY the Engine API multiplexes stdout and stderr in frames of
// an 8-byte header (stream, 0, 0, 0, big-endian length) and the payload.
void follow_logs(const std::shared_ptr<ContainerState>& state) {
    std::string pending;
    const auto on_data = [&](std::string_view bytes) {
        pending.append(bytes);
        std::size_t offset = 0;
        while (pending.size() - offset >= 8) {
            const auto* header = reinterpret_cast<const unsigned char*>(pending.data() + offset);
            const std::size_t length = (std::size_t{header[4]} << 24) | (std::size_t{header[5]} << 16) |
                                       (std::size_t{header[6]} << 8) | std::size_t{header[7]};
            if (pending.size() - offset - 8 < length) {
                break;
            }
            state->log->append(std::string_view(pending).substr(offset + 8, length));
            offset += 8 + length;
        }
        pending.erase(0, offset);
        return true;
    };
    const auto streamed = state->client->stream(
        "GET", fmt::format("/containers/{}/logs?follow=1&stdout=1&stderr=1", state->id), {}, on_data, &state->cancel);
    if (!streamed && !state->cancel.load()) {
        spdlog::debug("docker: log stream of {} ended: {}", state->id.substr(0, 12), streamed.error().message);
    }
    const std::lock_guard lock(state->mutex);
    state->logs_done = true;
    state->changed.notify_all();
}

// Blocks until the container stops, then records how (with the OOM killer's verdict from
// inspect) and runs the exit callbacks.
void wait_exit(const std::shared_ptr<ContainerState>& state) {
    ExitStatus status;
    const auto waited = state->client->request("POST", fmt::format("/containers/{}/wait", state->id), {}, 0ms);
    if (!waited) {
        status.reason = "lost contact with the Docker daemon: " + waited.error().message;
    } else if (waited->status != 200) {
        status.reason = "the container is gone: " + api_error_message(*waited);
    } else {
        const auto body = nlohmann::json::parse(waited->body, nullptr, false);
        if (body.is_object() && body.contains("StatusCode") && body["StatusCode"].is_number_integer()) {
            status.code = body["StatusCode"].get<int>();
        }
        const auto inspected =
            state->client->request("GET", fmt::format("/containers/{}/json", state->id), {}, kApiTimeout);
        if (inspected && inspected->status == 200) {
            const auto info = nlohmann::json::parse(inspected->body, nullptr, false);
            if (info.is_object() && info["State"].value("OOMKilled", false)) {
                status.reason = state->memory_bytes > 0
                                    ? fmt::format("out of memory (limit {})", describe_memory(state->memory_bytes))
                                    : std::string("out of memory");
            }
        }
    }
    std::vector<std::function<void(const ExitStatus&)>> callbacks;
    {
        std::unique_lock lock(state->mutex);
        state->changed.wait_for(lock, kLogDrainTimeout, [&] { return state->logs_done; });
        state->status = status;
        callbacks.swap(state->callbacks);
        state->changed.notify_all();
    }
    for (const auto& callback : callbacks) {
        callback(status);
    }
}

void remove_container(ContainerState& state) {
    {
        const std::lock_guard lock(state.mutex);
        if (state.removed) {
            return;
        }
        state.removed = true;
    }
    const auto removed =
        state.client->request("DELETE", fmt::format("/containers/{}?force=1", state.id), {}, kApiTimeout);
    if (!removed) {
        spdlog::warn("docker: cannot remove container {}: {}", state.id.substr(0, 12), removed.error().message);
    } else if (removed->status != 204 && removed->status != 404) {
        spdlog::warn("docker: cannot remove container {}: {}", state.id.substr(0, 12), api_error_message(*removed));
    }
}

class DockerProcess final : public EngineProcess {
public:
    DockerProcess(std::shared_ptr<ContainerState> state, pid_t pid) : m_state(std::move(state)), m_pid(pid) {
        m_logger = std::thread([state = m_state] { follow_logs(state); });
        m_waiter = std::thread([state = m_state] { wait_exit(state); });
    }

    ~DockerProcess() override {
        remove_container(*m_state); // kills it if it still runs, which ends both threads
        m_state->cancel = true;
        for (auto* thread : {&m_logger, &m_waiter}) {
            if (thread->get_id() == std::this_thread::get_id()) {
                thread->detach(); // destroyed from an exit callback: the thread holds the state
            } else if (thread->joinable()) {
                thread->join();
            }
        }
    }
    DockerProcess(const DockerProcess&) = delete;
    DockerProcess& operator=(const DockerProcess&) = delete;

    [[nodiscard]] EngineDescription describe() const override {
        EngineDescription description{"docker", m_state->id.substr(0, 12), std::nullopt, "127.0.0.1"};
        if (m_pid > 0) {
            description.pid = m_pid;
        }
        return description;
    }

    [[nodiscard]] bool running() const override {
        const std::lock_guard lock(m_state->mutex);
        return !m_state->status.has_value();
    }

    [[nodiscard]] std::optional<ExitStatus> exit_status() const override {
        const std::lock_guard lock(m_state->mutex);
        return m_state->status;
    }

    ExitStatus stop(std::chrono::milliseconds grace) override {
        const std::lock_guard stopping(m_stop_mutex);
        if (running()) {
            // Docker sends the stop signal (SIGTERM, through docker-init to the engine) and SIGKILL
            // after t seconds; t is whole seconds, so the grace is rounded up.
            const auto seconds = static_cast<long>(std::ceil(static_cast<double>(grace.count()) / 1000.0));
            const auto stopped = m_state->client->request(
                "POST", fmt::format("/containers/{}/stop?t={}", m_state->id, seconds), {}, grace + kApiTimeout);
            if (!stopped || (stopped->status != 204 && stopped->status != 304)) {
                spdlog::warn("docker: stop of {} failed ({}); removing it by force", m_state->id.substr(0, 12),
                             stopped ? api_error_message(*stopped) : stopped.error().message);
            }
        }
        remove_container(*m_state);
        std::unique_lock lock(m_state->mutex);
        m_state->changed.wait_for(lock, kApiTimeout, [&] { return m_state->status.has_value(); });
        return m_state->status.value_or(ExitStatus{std::nullopt, std::nullopt, "the container did not report its end"});
    }

    [[nodiscard]] std::string log_tail(std::size_t lines) const override { return m_state->log->tail(lines); }

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
    std::shared_ptr<ContainerState> m_state;
    pid_t m_pid;
    std::mutex m_stop_mutex;
    std::thread m_logger;
    std::thread m_waiter;
};

// Docker container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*; a random suffix keeps a relaunch from
// colliding with its predecessor while that one is being removed.
std::string container_name(const std::string& session_id) {
    std::string name = "atelier-";
    for (const char c : session_id.empty() ? std::string("engine") : session_id) {
        name.push_back(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ? c : '-');
    }
    std::random_device random;
    return name + fmt::format("-{:08x}", random());
}

} // namespace

std::string describe_memory(std::int64_t bytes) {
    if (bytes % (1 << 30) == 0) {
        return fmt::format("{} GiB", bytes >> 30);
    }
    if (bytes >= (std::int64_t{1} << 30)) {
        return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1 << 30));
    }
    if (bytes % (1 << 20) == 0) {
        return fmt::format("{} MiB", bytes >> 20);
    }
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

DockerLauncher::DockerLauncher(ApiClient client, std::string hub_id)
    : m_client(std::make_shared<const ApiClient>(std::move(client))), m_hub_id(std::move(hub_id)) {}

Result<std::shared_ptr<DockerLauncher>> DockerLauncher::create(const LauncherOptions& options) {
    ApiEndpoint endpoint;
    endpoint.base_url = "http://docker";
    endpoint.unix_socket = options.docker_socket;
    endpoint.label = fmt::format("docker ({})", options.docker_socket.string());
    ApiClient client(std::move(endpoint));
    const auto ping = client.request("GET", "/_ping", {}, 10s);
    if (!ping) {
        return fail(ErrorCode::Unavailable,
                    ping.error().message + " (is dockerd running? scripts/dockerd.sh starts one)");
    }
    if (ping->status != 200) {
        return fail(ErrorCode::Unavailable, fmt::format("docker ({}): /_ping answered {}",
                                                        options.docker_socket.string(), api_error_message(*ping)));
    }
    auto launcher = std::shared_ptr<DockerLauncher>(new DockerLauncher(std::move(client), options.hub_id));
    const auto reaped = launcher->reap();
    if (!reaped) {
        return fail(reaped.error());
    }
    if (*reaped > 0) {
        spdlog::info("docker: removed {} container{} a previous run of this hub left", *reaped,
                     *reaped == 1 ? "" : "s");
    }
    return launcher;
}

DockerLauncher::~DockerLauncher() {
    const auto reaped = reap();
    if (!reaped) {
        spdlog::warn("docker: could not remove this hub's containers at shutdown: {}", reaped.error().message);
    }
}

Result<std::size_t> DockerLauncher::reap() const {
    const nlohmann::json filters = {{"label", {"atelier.hub=" + m_hub_id}}};
    const auto listed = ATELIER_TRY(
        m_client->request("GET", "/containers/json?all=1&filters=" + url_encode(filters.dump()), {}, kApiTimeout));
    if (listed.status != 200) {
        return fail(ErrorCode::Unavailable, "docker: cannot list containers: " + api_error_message(listed));
    }
    const auto containers = nlohmann::json::parse(listed.body, nullptr, false);
    std::size_t removed = 0;
    for (const auto& container : containers.is_array() ? containers : nlohmann::json::array()) {
        const std::string id = container.value("Id", "");
        const auto deleted = m_client->request("DELETE", fmt::format("/containers/{}?force=1", id), {}, kApiTimeout);
        if (deleted && (deleted->status == 204 || deleted->status == 404)) {
            ++removed;
        } else {
            spdlog::warn("docker: cannot remove leftover container {}: {}", id.substr(0, 12),
                         deleted ? api_error_message(*deleted) : deleted.error().message);
        }
    }
    return removed;
}

nlohmann::json DockerLauncher::container_body(const LaunchSpec& spec, const std::string& hub_id, uid_t uid, gid_t gid) {
    nlohmann::json env = nlohmann::json::array();
    for (const auto& [name, value] : spec.env) {
        env.push_back(name + "=" + value);
    }
    nlohmann::json binds = nlohmann::json::array({spec.workdir.string() + ":" + spec.workdir.string() + ":rw"});
    if (spec.container.host_usr) {
        binds.push_back("/usr:/usr:ro");
    }
    for (const auto& mount : spec.container.mounts) {
        binds.push_back(mount.string() + ":" + mount.string() + ":ro");
    }
    nlohmann::json host = {
        {"NetworkMode", "host"}, // engines dial the hub on 127.0.0.1; no bridge, no NAT
        {"Binds", binds},
        {"Init", true},        // docker-init as PID 1: signals reach the engine, its children are reaped
        {"AutoRemove", false}, // removed by the hub after it read the exit code and the OOM flag
    };
    if (spec.container.memory_bytes > 0) {
        host["Memory"] = spec.container.memory_bytes;
        host["MemorySwap"] = spec.container.memory_bytes; // no swap on top: the limit holds
    }
    if (spec.container.cpus > 0) {
        host["NanoCpus"] = static_cast<std::int64_t>(spec.container.cpus * 1e9);
    }
    if (spec.container.pids > 0) {
        host["PidsLimit"] = spec.container.pids;
    }
    return {
        {"Image", spec.container.image},
        {"Cmd", spec.command},
        {"Env", env},
        {"WorkingDir", spec.workdir.string()},
        {"User", fmt::format("{}:{}", uid, gid)},
        {"Labels", {{"atelier.hub", hub_id}, {"atelier.session", spec.session_id}}},
        {"AttachStdin", false},
        {"Tty", false},
        {"HostConfig", host},
    };
}

Result<std::unique_ptr<EngineProcess>> DockerLauncher::launch(LaunchSpec spec) {
    if (spec.command.empty()) {
        return fail(ErrorCode::InvalidArgument, "docker: the engine command is empty");
    }
    auto log = ATELIER_TRY(CappedLog::open(spec.log_file, spec.log_limit_bytes));
    const auto body = container_body(spec, m_hub_id, ::getuid(), ::getgid());
    const auto created = ATELIER_TRY(m_client->request(
        "POST", "/containers/create?name=" + container_name(spec.session_id), body.dump(), kApiTimeout));
    if (created.status == 404) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("docker: no image \"{}\" ({}; scripts/engine_image.sh builds atelier-engine:host)",
                                spec.container.image, api_error_message(created)));
    }
    if (created.status != 201) {
        return fail(ErrorCode::Unavailable, "docker: cannot create the container: " + api_error_message(created));
    }
    auto state = std::make_shared<ContainerState>();
    state->client = m_client;
    state->id = nlohmann::json::parse(created.body, nullptr, false).value("Id", "");
    state->memory_bytes = spec.container.memory_bytes;
    state->log = std::move(log);
    const auto started = m_client->request("POST", fmt::format("/containers/{}/start", state->id), {}, kApiTimeout);
    if (!started || started->status != 204) {
        const std::string reason = started ? api_error_message(*started) : started.error().message;
        remove_container(*state);
        return fail(ErrorCode::Unavailable, fmt::format("docker: cannot start {}: {}", spec.command[0], reason));
    }
    pid_t pid = 0;
    if (const auto inspected = m_client->request("GET", fmt::format("/containers/{}/json", state->id), {}, kApiTimeout);
        inspected && inspected->status == 200) {
        const auto info = nlohmann::json::parse(inspected->body, nullptr, false);
        if (info.is_object() && info["State"].is_object()) {
            pid = info["State"].value("Pid", 0);
        }
    }
    auto process = std::make_unique<DockerProcess>(state, pid);
    if (spec.on_exit) {
        process->on_exit(std::move(spec.on_exit));
    }
    return std::unique_ptr<EngineProcess>(std::move(process));
}

} // namespace atelier::engines
