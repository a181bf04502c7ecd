// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace atelier::testing {

/// A temporary directory removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

/// The `atelier` binary under test ($ATELIER_BINARY, set by CTest).
[[nodiscard]] std::string atelier_binary();

/// Runs a command to completion; returns its exit code and captured stdout/stderr.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
[[nodiscard]] CommandResult run_command(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env = {});

/// The real hub as a child process: `atelier serve --port 0 --data-dir <temp>` plus extra
/// arguments. start() returns once the ready line has been printed.
class HubProcess {
public:
    struct Options {
        std::vector<std::string> args;
        std::map<std::string, std::string> env;
        bool bench_endpoints = false;
        /// Serve this data dir instead of a fresh temp one (restarts on the same data); the
        /// caller owns it.
        std::optional<std::filesystem::path> data_dir;
    };
    [[nodiscard]] static std::unique_ptr<HubProcess> start(const Options& options);
    [[nodiscard]] static std::unique_ptr<HubProcess> start() { return start(Options{}); }
    ~HubProcess();

    [[nodiscard]] std::uint16_t port() const { return m_port; }
    [[nodiscard]] pid_t pid() const { return m_pid; }
    [[nodiscard]] const std::string& token() const { return m_token; }
    [[nodiscard]] const std::filesystem::path& data_dir() const { return m_served_data_dir; }
    /// "Authorization" header value.
    [[nodiscard]] std::string bearer() const { return "Bearer " + m_token; }

    /// Sends `signal` and waits up to `timeout` for the exit; returns the exit code, or nullopt
    /// if it did not exit in time (it is then killed).
    std::optional<int> stop(int signal, std::chrono::milliseconds timeout);
    /// Everything the hub wrote to stderr so far.
    [[nodiscard]] std::string log() const;

private:
    HubProcess() = default;
    TempDir m_data_dir;
    std::filesystem::path m_served_data_dir;
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
    std::string m_token;
    std::filesystem::path m_log_path;
    int m_stdout_fd = -1;
};

} // namespace atelier::testing

namespace atelier::testing {

/// The C++ test engine (tests/engine) as a child process connected to a hub.
class EngineProcess {
public:
    /// Starts `atelier_test_engine` with ATELIER_HUB_URL for `hub` and ATELIER_ENGINE_TOKEN `token`.
    [[nodiscard]] static std::unique_ptr<EngineProcess> start(const HubProcess& hub, const std::string& token,
                                                              const std::vector<std::string>& args = {});
    ~EngineProcess();
    [[nodiscard]] pid_t pid() const { return m_pid; }
    /// Waits for the process to exit; its exit code, or nullopt after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    [[nodiscard]] std::string output() const;

private:
    EngineProcess() = default;
    TempDir m_dir;
    pid_t m_pid = -1;
};

/// Path of the test engine binary (beside the hub binary).
[[nodiscard]] std::string test_engine_binary();

} // namespace atelier::testing
