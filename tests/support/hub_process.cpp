// SPDX-License-Identifier: Apache-2.0
#include "hub_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace atelier::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "atelier-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
}

std::string atelier_binary() {
    const char* path = std::getenv("ATELIER_BINARY");
    if (path == nullptr) {
        throw std::runtime_error("ATELIER_BINARY is not set (run the tests through ctest)");
    }
    return path;
}

namespace {

std::vector<char*> to_argv(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    return argv;
}

void apply_env(const std::map<std::string, std::string>& env) {
    for (const auto& [name, value] : env) {
        if (value.empty()) {
            unsetenv(name.c_str());
        } else {
            setenv(name.c_str(), value.c_str(), 1);
        }
    }
}

} // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    TempDir temp;
    const auto out_path = temp.path() / "out";
    const auto err_path = temp.path() / "err";
    const pid_t pid = fork();
    if (pid == 0) {
        apply_env(env);
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out, 1);
        dup2(err, 2);
        auto args = to_argv(argv);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream out(out_path);
    std::ifstream err(err_path);
    std::stringstream out_text;
    std::stringstream err_text;
    out_text << out.rdbuf();
    err_text << err.rdbuf();
    result.out = out_text.str();
    result.err = err_text.str();
    return result;
}

std::unique_ptr<HubProcess> HubProcess::start(const Options& options) {
    std::unique_ptr<HubProcess> hub(new HubProcess());
    hub->m_log_path = hub->m_data_dir.path() / "hub.log";
    hub->m_served_data_dir = options.data_dir.value_or(hub->m_data_dir.path());
    std::vector<std::string> args{
        atelier_binary(), "serve", "--port", "0", "--data-dir", hub->m_served_data_dir.string(), "--threads", "2"};
    if (options.bench_endpoints) {
        args.emplace_back("--bench-endpoints");
    }
    args.insert(args.end(), options.args.begin(), options.args.end());

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    const pid_t pid = fork();
    if (pid == 0) {
        // A test's ATELIER_TOKEN must not leak into hubs that expect a generated one.
        unsetenv("ATELIER_TOKEN");
        apply_env(options.env);
        const int log = ::open(hub->m_log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(pipe_fds[1], 1);
        dup2(log, 2);
        auto argv = to_argv(args);
        execv(argv[0], argv.data());
        _exit(127);
    }
    ::close(pipe_fds[1]);
    hub->m_pid = pid;
    hub->m_stdout_fd = pipe_fds[0];

    // Wait for "atelier listening on http://HOST:PORT" (30 s: ASan builds start slowly on a busy machine).
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (received.find("atelier open ") == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd descriptor{hub->m_stdout_fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) {
            throw std::runtime_error("the hub did not print its ready line; log:\n" + hub->log());
        }
        char buffer[1024];
        const ssize_t got = ::read(hub->m_stdout_fd, buffer, sizeof buffer);
        if (got <= 0) {
            throw std::runtime_error("the hub exited before it was ready; log:\n" + hub->log());
        }
        received.append(buffer, static_cast<std::size_t>(got));
    }
    const std::string marker = "atelier listening on http://";
    const auto line = received.find(marker);
    const auto colon = received.find(':', line + marker.size());
    hub->m_port = static_cast<std::uint16_t>(std::stoi(received.substr(colon + 1)));
    const auto token_at = received.find("?token=");
    hub->m_token = received.substr(token_at + 7, received.find('\n', token_at) - token_at - 7);
    return hub;
}

HubProcess::~HubProcess() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
    if (m_stdout_fd >= 0) {
        ::close(m_stdout_fd);
    }
}

std::optional<int> HubProcess::stop(int signal, std::chrono::milliseconds timeout) {
    ::kill(m_pid, signal);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
}

std::string HubProcess::log() const {
    std::ifstream file(m_log_path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

} // namespace atelier::testing

namespace atelier::testing {

std::string test_engine_binary() {
    // Built next to the hub binary (both go to the build directory's top).
    return (std::filesystem::path(atelier_binary()).parent_path() / "atelier_test_engine").string();
}

std::unique_ptr<EngineProcess> EngineProcess::start(const HubProcess& hub, const std::string& token,
                                                    const std::vector<std::string>& args) {
    std::unique_ptr<EngineProcess> engine(new EngineProcess());
    const auto log_path = engine->m_dir.path() / "engine.log";
    std::vector<std::string> argv{test_engine_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string url = "ws://127.0.0.1:" + std::to_string(hub.port()) + "/ws/engine";
    const pid_t pid = fork();
    if (pid == 0) {
        setenv("ATELIER_HUB_URL", url.c_str(), 1);
        setenv("ATELIER_ENGINE_TOKEN", token.c_str(), 1);
        const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(log, 1);
        dup2(log, 2);
        std::vector<char*> raw;
        for (const auto& arg : argv) {
            raw.push_back(const_cast<char*>(arg.c_str()));
        }
        raw.push_back(nullptr);
        execv(raw[0], raw.data());
        _exit(127);
    }
    engine->m_pid = pid;
    return engine;
}

EngineProcess::~EngineProcess() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
    }
}

std::optional<int> EngineProcess::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
}

std::string EngineProcess::output() const {
    std::ifstream file(m_dir.path() / "engine.log");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

} // namespace atelier::testing
