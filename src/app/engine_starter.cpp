#include "app/engine_starter.h"

#include <mutex>

#include "engines/engine_launcher.h"

namespace atelier::app {
namespace {

// The sessions module's view of an engine process, over the engines module's launcher.
class LaunchedEngine final : public sessions::RunningEngine {
public:
    explicit LaunchedEngine(std::unique_ptr<engines::EngineProcess> process) : m_process(std::move(process)) {}
    ~LaunchedEngine() override { m_process->stop(std::chrono::seconds(2)); }

    void stop(std::chrono::milliseconds grace) override { m_process->stop(grace); }
    [[nodiscard]] std::string log_tail() override { return m_process->log_tail(20); }
    [[nodiscard]] int pid() const override { return static_cast<int>(m_process->pid()); }
    void on_exit(std::function<void(const std::string& status)> callback) override {
        m_process->on_exit(
            [callback = std::move(callback)](const engines::ExitStatus& status) { callback(status.describe()); });
    }

private:
    std::unique_ptr<engines::EngineProcess> m_process;
};

} // namespace

sessions::EngineStarter make_engine_starter(std::filesystem::path hub_socket, std::filesystem::path data_dir) {
    auto launcher = std::make_shared<engines::LocalLauncher>();
    return [launcher, hub_socket,
            data_dir](const sessions::EngineLaunch& request) -> Result<std::unique_ptr<sessions::RunningEngine>> {
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
        auto process = launcher->launch(std::move(spec));
        if (!process) {
            return fail(process.error());
        }
        return std::unique_ptr<sessions::RunningEngine>(std::make_unique<LaunchedEngine>(std::move(*process)));
    };
}

} // namespace atelier::app
