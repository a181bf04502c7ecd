// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engines/engine_launcher.h"
#include "engines/local_process.h"

extern char** environ;

namespace atelier::engines {
namespace {

namespace fs = std::filesystem;

/// Descriptors closed when this goes out of scope.
struct Descriptors {
    int dev_null = -1;
    int output[2] = {-1, -1};
    int report[2] = {-1, -1};
    ~Descriptors() {
        for (const int fd : {dev_null, output[0], output[1], report[0], report[1]}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
    }
};

/// What the child writes to the report pipe when it cannot exec; nothing at all when it can.
struct ChildFailure {
    enum Stage : int { NewSession, ChangeDirectory, Redirect, Execute } stage;
    int error;
};

std::string stage_text(ChildFailure::Stage stage) {
    switch (stage) {
    case ChildFailure::NewSession:
        return "cannot start a new session";
    case ChildFailure::ChangeDirectory:
        return "cannot enter the working tree";
    case ChildFailure::Redirect:
        return "cannot redirect stdio";
    case ChildFailure::Execute:
        break;
    }
    return "cannot execute";
}

bool executable_file(const fs::path& path) {
    std::error_code error;
    return fs::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

/// `name` as the exec will see it: a path with a slash is taken as it is (relative to the working
/// tree), a bare name is looked up on `search_path`. Resolved here because execvp is not
/// async-signal-safe and so cannot run between fork and exec.
Result<std::string> find_executable(const std::string& name, const fs::path& workdir, const std::string& search_path) {
    if (name.empty()) {
        return fail(ErrorCode::InvalidConfig, "the engine command is empty");
    }
    if (name.find('/') != std::string::npos) {
        const fs::path path = (fs::path(name).is_absolute() ? fs::path(name) : workdir / name).lexically_normal();
        if (!executable_file(path)) {
            return fail(ErrorCode::InvalidConfig,
                        fmt::format("cannot execute '{}': {}", name,
                                    ::access(path.c_str(), F_OK) == 0 ? "not an executable file" : "no such file"));
        }
        return path.string();
    }
    std::size_t start = 0;
    while (start <= search_path.size()) {
        const auto end = std::min(search_path.find(':', start), search_path.size());
        const std::string directory = search_path.substr(start, end - start);
        const fs::path candidate = fs::path(directory.empty() ? "." : directory) / name;
        if (executable_file(candidate)) {
            return candidate.string();
        }
        start = end + 1;
    }
    return fail(ErrorCode::InvalidConfig,
                fmt::format("cannot execute '{}': not found on PATH ({})", name, search_path));
}

std::string search_path(const LaunchSpec& spec) {
    if (const auto it = spec.env.find("PATH"); it != spec.env.end()) {
        return it->second;
    }
    const char* path = std::getenv("PATH");
    return path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
}

/// The hub's environment without its ATELIER_* settings, plus the engine's own variables.
std::vector<std::string> engine_environment(const std::map<std::string, std::string>& env) {
    std::vector<std::string> out;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto name = text.substr(0, text.find('='));
        if (name.starts_with("ATELIER_") || env.contains(std::string(name))) {
            continue;
        }
        out.emplace_back(text);
    }
    for (const auto& [name, value] : env) {
        out.push_back(name + "=" + value);
    }
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& text : strings) {
        out.push_back(text.data());
    }
    out.push_back(nullptr);
    return out;
}

/// Makes `from` the child's descriptor `to`, inheritable across exec. Async-signal-safe.
bool install(int from, int to) {
    if (from == to) {
        return ::fcntl(to, F_SETFD, 0) == 0;
    }
    return ::dup2(from, to) == to;
}

[[noreturn]] void child_fail(int report, ChildFailure::Stage stage) {
    const ChildFailure failure{stage, errno};
    (void)!::write(report, &failure, sizeof failure);
    ::_exit(127);
}

/// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const Descriptors& fds, const char* workdir, const char* program, char* const* argv,
                             char* const* envp, int max_fd) {
    const int report = fds.report[1];
    // The hub's signal mask and ignored signals (SIGPIPE, typically) must not become the engine's.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal != SIGKILL && signal != SIGSTOP) {
            sigaction(signal, &default_action, nullptr);
        }
    }
    if (::setsid() < 0) {
        child_fail(report, ChildFailure::NewSession);
    }
    if (::chdir(workdir) != 0) {
        child_fail(report, ChildFailure::ChangeDirectory);
    }
    if (!install(fds.dev_null, 0) || !install(fds.output[1], 1) || !install(fds.output[1], 2)) {
        child_fail(report, ChildFailure::Redirect);
    }
    // Whatever the hub opened without O_CLOEXEC (libraries do) is closed by the exec, the report
    // pipe included, so a successful exec is seen as end-of-file by the parent.
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd <= max_fd; ++fd) {
            if (fd != report) {
                ::close(fd);
            }
        }
    }
    ::execve(program, argv, envp);
    child_fail(report, ChildFailure::Execute);
}

int highest_descriptor() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
    }
    return 1 << 16;
}

/// Forks and execs; returns once the child has exec'd (or reported why it could not).
Result<detail::ChildHandles> spawn(std::vector<std::string> argv, std::vector<std::string> environment,
                                   const fs::path& workdir) {
    auto argv_pointers = pointers(argv);
    auto env_pointers = pointers(environment);
    const std::string workdir_text = workdir.string();
    const int max_fd = highest_descriptor();

    Descriptors fds;
    fds.dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fds.dev_null < 0 || ::pipe2(fds.output, O_CLOEXEC) != 0 || ::pipe2(fds.report, O_CLOEXEC) != 0) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot prepare the engine's stdio: {}", std::strerror(errno)));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        return fail(ErrorCode::Unavailable, fmt::format("fork failed: {}", std::strerror(errno)));
    }
    if (pid == 0) {
        exec_child(fds, workdir_text.c_str(), argv[0].c_str(), argv_pointers.data(), env_pointers.data(), max_fd);
    }
    ::close(fds.report[1]);
    fds.report[1] = -1;
    ::close(fds.output[1]);
    fds.output[1] = -1;

    ChildFailure failure{};
    ssize_t got = 0;
    do {
        got = ::read(fds.report[0], &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof failure)) {
        ::waitpid(pid, nullptr, 0); // it exits at once with 127
        const auto what = failure.stage == ChildFailure::ChangeDirectory ? workdir_text : argv[0];
        return fail(ErrorCode::Unavailable,
                    fmt::format("{} '{}': {}", stage_text(failure.stage), what, std::strerror(failure.error)));
    }

    detail::ChildHandles handles;
    handles.pid = pid;
    handles.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (handles.pidfd < 0) {
        const int error = errno;
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return fail(ErrorCode::Unavailable,
                    fmt::format("pidfd_open failed (Linux 5.3 or later is needed): {}", std::strerror(error)));
    }
    ::fcntl(fds.output[0], F_SETFL, ::fcntl(fds.output[0], F_GETFL) | O_NONBLOCK);
    handles.output = fds.output[0];
    fds.output[0] = -1;
    return handles;
}

} // namespace

std::vector<std::string> sandbox_arguments(const std::string& bwrap, const LaunchSpec& spec) {
    const std::string workdir = spec.workdir.string();
    // Not --new-session: the launcher already made the engine a session leader without a
    // controlling terminal (stdin is /dev/null), and staying in bwrap's process group lets stop()
    // reach the engine with SIGTERM.
    std::vector<std::string> args{bwrap,
                                  "--ro-bind",
                                  "/",
                                  "/",
                                  "--dev",
                                  "/dev",
                                  "--proc",
                                  "/proc",
                                  "--tmpfs",
                                  "/tmp",
                                  "--tmpfs",
                                  "/run",
                                  "--unshare-net",
                                  "--unshare-pid",
                                  "--unshare-ipc",
                                  "--unshare-uts",
                                  "--die-with-parent"};
    // The private /tmp hides everything below the host's /tmp, including an engine installed or
    // checked out there (a clone in /tmp running its own test engine): its top directory under
    // /tmp stays visible, read-only.
    if (!spec.command.empty() && spec.command.front().starts_with("/tmp/")) {
        const std::filesystem::path program(spec.command.front());
        auto part = program.begin();
        std::filesystem::path top = *part++; // "/"
        top /= *part++;                      // "tmp"
        if (part != program.end()) {
            top /= *part;
            args.insert(args.end(), {"--ro-bind", top.string(), top.string()});
        }
    }
    for (const auto& hidden : spec.sandbox_hidden) {
        args.insert(args.end(), {"--tmpfs", hidden.string()});
    }
    args.insert(args.end(), {"--bind", workdir, workdir});
    if (!spec.hub_socket.empty()) {
        args.insert(args.end(), {"--bind", spec.hub_socket.string(), kSandboxHubSocket});
    }
    args.insert(args.end(), {"--chdir", workdir, "--"});
    return args;
}

struct LocalLauncher::Impl {
    std::mutex mutex;
    std::optional<Result<std::string>> bwrap; ///< the checked bwrap path, or why it cannot run
};

LocalLauncher::LocalLauncher() : m_impl(std::make_unique<Impl>()) {}
LocalLauncher::~LocalLauncher() = default;

Result<void> LocalLauncher::check_sandbox() {
    const std::lock_guard lock(m_impl->mutex);
    if (!m_impl->bwrap) {
        m_impl->bwrap = [this]() -> Result<std::string> {
            const char* path = std::getenv("PATH");
            auto bwrap = find_executable("bwrap", "/", path != nullptr ? path : "/usr/bin:/bin");
            if (!bwrap) {
                return fail(ErrorCode::Unavailable,
                            "the engine sandbox needs bubblewrap (bwrap), which is not installed: apt-get install "
                            "bubblewrap");
            }
            auto truth = find_executable("true", "/", "/usr/bin:/bin");
            if (!truth) {
                return fail(truth.error());
            }
            LaunchSpec probe;
            probe.workdir = "/";
            probe.command = {
                *bwrap,          "--ro-bind",         "/",  "/",   "--dev", "/dev", "--proc", "/proc", "--unshare-net",
                "--unshare-pid", "--die-with-parent", "--", *truth};
            probe.log_limit_bytes = 64 << 10;
            auto done = std::make_shared<std::promise<ExitStatus>>();
            probe.on_exit = [done](const ExitStatus& status) { done->set_value(status); };
            auto process = start_process(std::move(probe));
            if (!process) {
                return fail(ErrorCode::Unavailable, "bubblewrap cannot run: " + process.error().message);
            }
            auto finished = done->get_future();
            if (finished.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
                (*process)->stop(std::chrono::milliseconds(0));
                return fail(ErrorCode::Unavailable, "bubblewrap cannot run: a trivial sandbox did not finish in 10 s");
            }
            const auto status = finished.get();
            if (status.code != 0) {
                auto reason = (*process)->log_tail(3);
                while (!reason.empty() && reason.back() == '\n') {
                    reason.pop_back();
                }
                return fail(ErrorCode::Unavailable,
                            fmt::format("bubblewrap cannot create its sandbox here ({}): {}", status.describe(),
                                        reason.empty() ? "no message" : reason));
            }
            return *bwrap;
        }();
        if (!*m_impl->bwrap) {
            spdlog::warn("engine sandbox unavailable: {}", m_impl->bwrap->error().message);
        }
    }
    if (!*m_impl->bwrap) {
        return fail(m_impl->bwrap->error());
    }
    return {};
}

Result<std::unique_ptr<EngineProcess>> LocalLauncher::launch(LaunchSpec spec) {
    if (spec.sandbox == SandboxMode::Bubblewrap) {
        ATELIER_TRY(check_sandbox());
    }
    return start_process(std::move(spec));
}

Result<std::unique_ptr<EngineProcess>> LocalLauncher::start_process(LaunchSpec spec) {
    if (spec.command.empty()) {
        return fail(ErrorCode::InvalidConfig, "the engine command is empty");
    }
    std::error_code error;
    if (!fs::is_directory(spec.workdir, error)) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("the engine's working tree {} is not a directory", spec.workdir.string()));
    }
    spec.workdir = fs::absolute(spec.workdir, error);
    const auto program = ATELIER_TRY(find_executable(spec.command[0], spec.workdir, search_path(spec)));

    auto env = spec.env;
    std::vector<std::string> argv;
    if (spec.sandbox == SandboxMode::Bubblewrap) {
        if (spec.hub_socket.empty()) {
            return fail(ErrorCode::InvalidConfig,
                        "a sandboxed engine has no network: the hub must listen on a Unix socket for it "
                        "(engine_socket)");
        }
        if (!fs::exists(fs::symlink_status(spec.hub_socket, error))) {
            return fail(ErrorCode::Unavailable,
                        fmt::format("the hub's engine socket {} does not exist", spec.hub_socket.string()));
        }
        const std::lock_guard lock(m_impl->mutex);
        argv = sandbox_arguments(**m_impl->bwrap, spec);
        env["ATELIER_HUB_SOCKET"] = kSandboxHubSocket;
    } else if (!spec.hub_socket.empty()) {
        env["ATELIER_HUB_SOCKET"] = spec.hub_socket.string();
    }
    argv.push_back(program);
    argv.insert(argv.end(), spec.command.begin() + 1, spec.command.end());

    auto log = ATELIER_TRY(CappedLog::open(spec.log_file, spec.log_limit_bytes));
    const std::string program_path = argv[0];
    auto handles = ATELIER_TRY(spawn(std::move(argv), engine_environment(env), spec.workdir));
    spdlog::debug("engine process {} started: {}{}", handles.pid, program_path,
                  spec.sandbox == SandboxMode::Bubblewrap ? " (bubblewrap)" : "");
    return std::unique_ptr<EngineProcess>(
        new detail::LocalProcess(handles, spec.sandbox, std::move(log), std::move(spec.on_exit)));
}

} // namespace atelier::engines
