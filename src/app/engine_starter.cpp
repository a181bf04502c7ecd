// SPDX-License-Identifier: Apache-2.0
#include "app/engine_starter.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engines/docker_launcher.h"
#include "engines/engine_launcher.h"
#include "engines/kubernetes_launcher.h"

namespace atelier::app {
namespace {

// The sessions module's view of an engine, over the engines module's launcher.
class LaunchedEngine final : public engines::RunningEngine {
public:
    explicit LaunchedEngine(std::unique_ptr<engines::EngineProcess> process) : m_process(std::move(process)) {}
    ~LaunchedEngine() override { m_process->stop(std::chrono::seconds(2)); }

    void stop(std::chrono::milliseconds grace) override { m_process->stop(grace); }
    [[nodiscard]] std::string log_tail() override { return m_process->log_tail(20); }
    // Sessions show a pid when the engine runs in the hub's PID namespace (local, docker), else 0.
    [[nodiscard]] int pid() const override { return static_cast<int>(m_process->describe().pid.value_or(0)); }
    void on_exit(std::function<void(const std::string& status)> callback) override {
        m_process->on_exit(
            [callback = std::move(callback)](const engines::ExitStatus& status) { callback(status.describe()); });
    }
    void on_status(std::function<void(const std::string& status)> callback) override {
        m_process->on_status(std::move(callback));
    }
    [[nodiscard]] std::string preview_host() const override { return m_process->describe().preview_host; }

private:
    std::unique_ptr<engines::EngineProcess> m_process;
};

// One kind's launcher, created at start and again at a launch when creation failed.
class KindLauncher {
public:
    KindLauncher(std::shared_ptr<const engines::LauncherRegistry> registry, std::string name,
                 engines::LauncherOptions options)
        : m_registry(std::move(registry)), m_name(std::move(name)), m_options(std::move(options)) {}

    Result<std::shared_ptr<engines::EngineLauncher>> get() {
        const std::lock_guard lock(m_mutex);
        if (!m_launcher) {
            m_launcher = ATELIER_TRY(m_registry->create(m_name, m_options));
        }
        return m_launcher;
    }

private:
    std::shared_ptr<const engines::LauncherRegistry> m_registry;
    std::string m_name;
    engines::LauncherOptions m_options;
    std::mutex m_mutex;
    std::shared_ptr<engines::EngineLauncher> m_launcher;
};

// `${NAME}` in a kind's hub_url from the hub's environment, so one config serves every replica of
// a StatefulSet: "ws://${POD_NAME}.atelier-hub:8420/ws/engine" dials back to the owning hub.
std::string expand_environment(const std::string& text) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto open = text.find("${", at);
        const auto close = open == std::string::npos ? std::string::npos : text.find('}', open);
        if (close == std::string::npos) {
            out += text.substr(at);
            break;
        }
        out += text.substr(at, open - at);
        const char* value = std::getenv(text.substr(open + 2, close - open - 2).c_str());
        out += value != nullptr ? value : "";
        at = close + 1;
    }
    return out;
}

} // namespace

engines::LauncherRegistry launcher_registry() {
    engines::LauncherRegistry registry;
    registry.add("local", [](const engines::LauncherOptions&) -> Result<std::shared_ptr<engines::EngineLauncher>> {
        return std::make_shared<engines::LocalLauncher>();
    });
    registry.add("docker",
                 [](const engines::LauncherOptions& options) -> Result<std::shared_ptr<engines::EngineLauncher>> {
                     return ATELIER_TRY(engines::DockerLauncher::create(options));
                 });
    registry.add("kubernetes",
                 [](const engines::LauncherOptions& options) -> Result<std::shared_ptr<engines::EngineLauncher>> {
                     return ATELIER_TRY(engines::KubernetesLauncher::create(options));
                 });
    return registry;
}

std::string hub_id(const std::string& data_dir) {
    std::array<char, 256> host{};
    ::gethostname(host.data(), host.size() - 1);
    std::error_code error;
    const auto canonical = std::filesystem::weakly_canonical(data_dir, error);
    const std::string key = std::string(host.data()) + ":" + (error ? data_dir : canonical.string());
    std::uint64_t hash = 0xcbf29ce484222325ULL; // FNV-1a: the same id from every build of the hub
    for (const unsigned char c : key) {
        hash = (hash ^ c) * 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", hash);
}

engines::EngineStarter make_engine_starter(const Config& config) {
    const auto registry = std::make_shared<const engines::LauncherRegistry>(launcher_registry());
    const std::filesystem::path hub_socket = config.engine_socket;
    const std::filesystem::path data_dir = config.data_dir;
    std::map<std::string, std::shared_ptr<KindLauncher>> launchers;
    std::shared_ptr<KindLauncher> local;
    for (const auto& [kind, settings] : config.engines) {
        if (settings.launcher == "local") {
            if (!local) {
                local = std::make_shared<KindLauncher>(registry, "local", engines::LauncherOptions{});
            }
            launchers[kind] = local;
            continue;
        }
        engines::LauncherOptions options;
        options.hub_id = hub_id(config.data_dir);
        options.data_dir = data_dir;
        options.docker_socket = config.docker_socket;
        options.kubernetes_namespace = settings.kubernetes_namespace;
        options.kubeconfig = settings.kubeconfig;
        options.volume_claim = settings.volume_claim;
        launchers[kind] = std::make_shared<KindLauncher>(registry, settings.launcher, options);
        if (auto created = launchers[kind]->get(); !created) {
            spdlog::error("engine kind {}: the {} launcher is not available yet: {}", kind, settings.launcher,
                          created.error().message);
        }
    }
    return [launchers, kinds = config.engines, hub_socket,
            data_dir](const engines::EngineLaunch& request) -> Result<std::unique_ptr<engines::RunningEngine>> {
        const auto found = launchers.find(request.kind);
        if (found == launchers.end()) {
            return fail(ErrorCode::InvalidArgument, fmt::format("no engine kind \"{}\"", request.kind));
        }
        const auto& settings = kinds.at(request.kind);
        auto launcher = found->second->get();
        if (!launcher) {
            return fail(launcher.error());
        }
        engines::LaunchSpec spec;
        spec.command = request.command;
        spec.workdir = request.workdir;
        spec.env = request.env;
        spec.log_file = request.log_file;
        spec.sandbox = request.sandbox ? engines::SandboxMode::Bubblewrap : engines::SandboxMode::None;
        spec.hub_socket = hub_socket;
        if (!data_dir.empty()) {
            spec.sandbox_hidden.push_back(data_dir);
        }
        if (const auto session = request.env.find("ATELIER_SESSION_ID"); session != request.env.end()) {
            spec.session_id = session->second;
        }
        if (!settings.engine_hub_url.empty()) {
            // A Pod dials the owning hub's cluster address, not its loopback.
            spec.env["ATELIER_HUB_URL"] = expand_environment(settings.engine_hub_url);
        }
        spec.container.image = settings.image;
        spec.container.memory_bytes = settings.memory_bytes;
        spec.container.cpus = settings.cpus;
        spec.container.pids = settings.pids;
        spec.container.host_usr = settings.host_usr;
        spec.container.mounts.assign(settings.mounts.begin(), settings.mounts.end());
        spec.container.active_deadline_seconds = settings.active_deadline_seconds;
        auto process = (*launcher)->launch(std::move(spec));
        if (!process) {
            return fail(process.error());
        }
        return std::unique_ptr<engines::RunningEngine>(std::make_unique<LaunchedEngine>(std::move(*process)));
    };
}

} // namespace atelier::app
