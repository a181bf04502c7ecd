// SPDX-License-Identifier: Apache-2.0
#pragma once

// Internal to engines: the EngineProcess that LocalLauncher returns.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engines/capped_log.h"
#include "engines/engine_launcher.h"

namespace atelier::engines::detail {

/// The descriptors a freshly forked child leaves to its monitor; the process owns them from then on.
struct ChildHandles {
    pid_t pid = -1;
    int pidfd = -1;  ///< becomes readable when the child exits (pidfd_open)
    int output = -1; ///< read end of the child's stdout/stderr pipe, non-blocking
};

/// One child process and the thread that watches it. The monitor thread polls the pidfd, the output
/// pipe and a wake-up eventfd: output goes to the CappedLog; on exit it drains the pipe, reaps
/// exactly this pid (never waitpid(-1): the hub's other children are not ours to reap) and runs the
/// exit callbacks.
class LocalProcess final : public EngineProcess {
public:
    LocalProcess(ChildHandles handles, SandboxMode sandbox, std::unique_ptr<CappedLog> log,
                 std::function<void(const ExitStatus&)> on_exit);
    ~LocalProcess() override;
    LocalProcess(const LocalProcess&) = delete;
    LocalProcess& operator=(const LocalProcess&) = delete;

    [[nodiscard]] EngineDescription describe() const override {
        return {"local", std::to_string(m_state->pid), m_state->pid, "127.0.0.1"};
    }
    [[nodiscard]] bool running() const override;
    [[nodiscard]] std::optional<ExitStatus> exit_status() const override;
    ExitStatus stop(std::chrono::milliseconds grace) override;
    [[nodiscard]] std::string log_tail(std::size_t lines) const override;
    void on_exit(std::function<void(const ExitStatus&)> callback) override;

private:
    // Shared with the monitor thread, which may outlive this object when the object is destroyed
    // from an exit callback (the thread is then detached).
    struct State {
        pid_t pid = -1;
        int pidfd = -1;
        int output = -1;
        int wake = -1;
        SandboxMode sandbox = SandboxMode::None;
        std::unique_ptr<CappedLog> log;
        mutable std::mutex mutex;
        std::condition_variable exited;
        std::optional<ExitStatus> status;
        std::vector<std::function<void(const ExitStatus&)>> callbacks;
        bool quit = false;
        ~State();
    };
    static void monitor(const std::shared_ptr<State>& state);
    static void drain(State& state);
    static void reap(State& state);
    [[nodiscard]] bool wait_exited(std::chrono::steady_clock::time_point deadline) const;
    void send_stop_signal();

    std::shared_ptr<State> m_state;
    std::mutex m_stop_mutex;
    std::thread m_thread;
};

/// True while a process that is not a zombie is in process group `group`.
[[nodiscard]] bool group_alive(pid_t group);

} // namespace atelier::engines::detail
