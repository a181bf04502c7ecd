// SPDX-License-Identifier: Apache-2.0
#include "engines/local_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace atelier::engines {

std::string ExitStatus::describe() const {
    if (code) {
        return reason.empty() ? fmt::format("exit code {}", *code) : fmt::format("exit code {}: {}", *code, reason);
    }
    if (!reason.empty()) {
        return reason;
    }
    if (signal) {
        const char* name = sigabbrev_np(*signal);
        return name != nullptr ? fmt::format("killed by signal {} (SIG{})", *signal, name)
                               : fmt::format("killed by signal {}", *signal);
    }
    return "unknown exit status";
}

namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

/// The processes of group `group` that are not zombies, from /proc; the leader too unless
/// `include_leader` is false.
std::vector<pid_t> live_members(pid_t group, bool include_leader) {
    std::vector<pid_t> members;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const auto name = entry.path().filename().string();
        pid_t pid = 0;
        if (std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc{} ||
            (pid == group && !include_leader)) {
            continue;
        }
        std::ifstream stat(entry.path() / "stat");
        std::string text;
        std::getline(stat, text);
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so skip past the last ')'.
        const auto close = text.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        char state = 0;
        long ppid = 0;
        long pgrp = 0;
        if (std::sscanf(text.c_str() + close + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 && pgrp == group &&
            state != 'Z' && state != 'X') {
            members.push_back(pid);
        }
    }
    return members;
}

} // namespace

bool group_alive(pid_t group) {
    // Zombies do not count: they run nothing, and whoever inherited them (an init that may reap
    // lazily, as the zombie of bubblewrap's PID-namespace init shows) is not ours to wait for.
    if (::kill(-group, 0) != 0 && errno == ESRCH) {
        return false;
    }
    return !live_members(group, true).empty();
}

LocalProcess::State::~State() {
    close_fd(pidfd);
    close_fd(output);
    close_fd(wake);
}

LocalProcess::LocalProcess(ChildHandles handles, SandboxMode sandbox, std::unique_ptr<CappedLog> log,
                           std::function<void(const ExitStatus&)> on_exit)
    : m_state(std::make_shared<State>()) {
    m_state->pid = handles.pid;
    m_state->pidfd = handles.pidfd;
    m_state->output = handles.output;
    m_state->wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    m_state->sandbox = sandbox;
    m_state->log = std::move(log);
    if (on_exit) {
        m_state->callbacks.push_back(std::move(on_exit));
    }
    m_thread = std::thread([state = m_state] { monitor(state); });
}

LocalProcess::~LocalProcess() {
    // Whoever drops a running engine without stop() gets no grace: kill the group now. (Safe: the
    // group id is not reused while its leader is unreaped or a member lives.)
    if (running() || group_alive(m_state->pid)) {
        ::kill(-m_state->pid, SIGKILL);
        (void)wait_exited(Clock::now() + std::chrono::seconds(10));
    }
    {
        const std::lock_guard lock(m_state->mutex);
        m_state->quit = true;
    }
    const std::uint64_t one = 1;
    (void)!::write(m_state->wake, &one, sizeof one);
    if (m_thread.get_id() == std::this_thread::get_id()) {
        m_thread.detach(); // destroyed from an exit callback: the thread ends right after it
    } else if (m_thread.joinable()) {
        m_thread.join();
    }
}

void LocalProcess::monitor(const std::shared_ptr<State>& state) {
    for (;;) {
        std::array<pollfd, 3> fds{};
        nfds_t count = 0;
        {
            const std::lock_guard lock(state->mutex);
            if (state->quit || (state->status && state->output < 0)) {
                return;
            }
        }
        fds[count++] = pollfd{state->wake, POLLIN, 0};
        if (state->pidfd >= 0) {
            fds[count++] = pollfd{state->pidfd, POLLIN, 0};
        }
        if (state->output >= 0) {
            fds[count++] = pollfd{state->output, POLLIN, 0};
        }
        if (::poll(fds.data(), count, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            spdlog::error("engine {}: poll failed: {}", state->pid, std::strerror(errno));
            return;
        }
        for (nfds_t i = 1; i < count; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            if (fds[i].fd == state->output) {
                drain(*state);
            } else if (fds[i].fd == state->pidfd) {
                // Read what the process wrote last before anyone hears of its exit: the exit
                // callback usually wants the log tail.
                drain(*state);
                reap(*state);
            }
        }
    }
}

void LocalProcess::drain(State& state) {
    std::array<char, 16 << 10> buffer{};
    while (state.output >= 0) {
        const auto got = ::read(state.output, buffer.data(), buffer.size());
        if (got > 0) {
            state.log->append(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
            continue;
        }
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        // End of file: every writer (the process and anything it started) has closed it.
        const std::lock_guard lock(state.mutex);
        close_fd(state.output);
    }
}

void LocalProcess::reap(State& state) {
    int raw = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(state.pid, &raw, WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    if (reaped == 0) {
        return; // not exited after all
    }
    ExitStatus status;
    if (reaped < 0) {
        spdlog::error("engine {}: waitpid failed: {}", state.pid, std::strerror(errno));
        status.code = -1;
    } else if (WIFEXITED(raw)) {
        status.code = WEXITSTATUS(raw);
    } else if (WIFSIGNALED(raw)) {
        status.signal = WTERMSIG(raw);
    }
    std::vector<std::function<void(const ExitStatus&)>> callbacks;
    {
        const std::lock_guard lock(state.mutex);
        close_fd(state.pidfd);
        state.status = status;
        callbacks.swap(state.callbacks);
    }
    state.exited.notify_all();
    for (const auto& callback : callbacks) {
        try {
            callback(status);
        } catch (const std::exception& exception) {
            spdlog::error("engine {}: exit callback threw: {}", state.pid, exception.what());
        }
    }
}

bool LocalProcess::running() const {
    const std::lock_guard lock(m_state->mutex);
    return !m_state->status.has_value();
}

std::optional<ExitStatus> LocalProcess::exit_status() const {
    const std::lock_guard lock(m_state->mutex);
    return m_state->status;
}

std::string LocalProcess::log_tail(std::size_t lines) const {
    return m_state->log->tail(lines);
}

void LocalProcess::on_exit(std::function<void(const ExitStatus&)> callback) {
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

bool LocalProcess::wait_exited(Clock::time_point deadline) const {
    std::unique_lock lock(m_state->mutex);
    return m_state->exited.wait_until(lock, deadline, [this] { return m_state->status.has_value(); });
}

void LocalProcess::send_stop_signal() {
    const pid_t group = m_state->pid;
    if (m_state->sandbox == SandboxMode::Bubblewrap) {
        // bwrap (the group leader) dies of SIGTERM, and --die-with-parent then SIGKILLs the engine
        // at once. So the engine and its children get SIGTERM, and bwrap exits when they are done.
        const auto members = live_members(group, false);
        for (const pid_t member : members) {
            ::kill(member, SIGTERM);
        }
        if (!members.empty()) {
            return;
        }
    }
    ::kill(-group, SIGTERM);
}

ExitStatus LocalProcess::stop(std::chrono::milliseconds grace) {
    const std::lock_guard stop_lock(m_stop_mutex);
    const pid_t group = m_state->pid;
    const auto deadline = Clock::now() + grace;
    // The group id cannot be reused while its leader is unreaped or any member lives, so signals to
    // it never hit a stranger (the checks below run before each one).
    if (running()) {
        send_stop_signal();
    } else if (!group_alive(group)) {
        return *exit_status();
    } else {
        ::kill(-group, SIGTERM);
    }
    (void)wait_exited(deadline);
    while (group_alive(group) && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (running() || group_alive(group)) {
        spdlog::warn("engine {}: still running {} ms after SIGTERM, sending SIGKILL", group, grace.count());
        ::kill(-group, SIGKILL);
    }
    if (!wait_exited(Clock::now() + std::chrono::seconds(10))) {
        spdlog::error("engine {}: not reaped 10 s after SIGKILL", group);
        return ExitStatus{};
    }
    // Killed members die a moment later (they are reaped by whoever inherited them).
    for (int i = 0; i < 200 && group_alive(group); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return *exit_status();
}

} // namespace detail
} // namespace atelier::engines
