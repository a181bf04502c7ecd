// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "engines/engine_launcher.h"
#include "hub_process.h"
#include "launcher_test_support.h"

namespace atelier::engines {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::process_dead;
using testing::read_file;
using testing::shell;
using testing::wait_exit;

class LocalLauncherTest : public ::testing::Test {
protected:
    void SetUp() override { std::filesystem::create_directories(workdir); }

    std::unique_ptr<EngineProcess> launch(LaunchSpec spec) {
        auto process = launcher.launch(std::move(spec));
        EXPECT_TRUE(process) << process.error().message;
        return process ? std::move(*process) : nullptr;
    }

    atelier::testing::TempDir dir;
    std::filesystem::path workdir = dir.path() / "tree";
    LocalLauncher launcher;
};

TEST_F(LocalLauncherTest, OutputGoesToTheLogFileAndTheTail) {
    auto process = launch(shell("echo first; echo second >&2; echo third", workdir));
    ASSERT_TRUE(process);
    ASSERT_TRUE(wait_exit(*process));
    EXPECT_EQ(process->exit_status()->code, 0);
    EXPECT_EQ(process->log_tail(2), "second\nthird\n");
    EXPECT_EQ(read_file(dir.path() / "engine.log"), "first\nsecond\nthird\n");
}

TEST_F(LocalLauncherTest, EnvironmentAndWorkingDirectoryAreAsGiven) {
    ::setenv("ATELIER_TOKEN", "the-admin-token", 1);
    auto spec = shell("pwd; echo \"id=$ATELIER_SESSION_ID\"; echo \"token=${ATELIER_TOKEN:-none}\"; "
                      "echo \"home=${HOME:+set}\"; echo \"socket=$ATELIER_HUB_SOCKET\"",
                      workdir);
    spec.env = {{"ATELIER_SESSION_ID", "s-42"}};
    spec.hub_socket = "/run/hub.sock";
    auto process = launch(std::move(spec));
    ::unsetenv("ATELIER_TOKEN");
    ASSERT_TRUE(process);
    ASSERT_TRUE(wait_exit(*process));
    // The hub's own ATELIER_* settings stay behind; the rest of its environment is inherited.
    EXPECT_EQ(process->log_tail(10),
              std::filesystem::canonical(workdir).string() + "\nid=s-42\ntoken=none\nhome=set\nsocket=/run/hub.sock\n");
}

TEST_F(LocalLauncherTest, OnlyStdioIsInheritedAndStdinIsDevNull) {
    // A descriptor the test opens without O_CLOEXEC, as a careless library in the hub might.
    const int leaky = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaky, 3);
    auto process = launch(shell("ls /proc/$$/fd; readlink /proc/$$/fd/0", workdir));
    ::close(leaky);
    ASSERT_TRUE(process);
    ASSERT_TRUE(wait_exit(*process));
    EXPECT_EQ(process->log_tail(10), "0\n1\n2\n/dev/null\n");
}

TEST_F(LocalLauncherTest, RunsInItsOwnProcessGroupAndSession) {
    auto process = launch(shell("exec sleep 30", workdir));
    ASSERT_TRUE(process);
    EXPECT_EQ(::getpgid(process->describe().pid.value()), process->describe().pid.value());
    EXPECT_EQ(::getsid(process->describe().pid.value()), process->describe().pid.value());
    EXPECT_TRUE(process->running());
    EXPECT_FALSE(process->exit_status());
}

TEST_F(LocalLauncherTest, LogStaysUnderItsCapAndKeepsTheTail) {
    auto spec = shell("head -c 10000000 /dev/zero | tr '\\0' x; echo; echo the last line", workdir);
    spec.log_limit_bytes = 1 << 20;
    auto process = launch(std::move(spec));
    ASSERT_TRUE(process);
    ASSERT_TRUE(wait_exit(*process, 60s));
    const auto log = dir.path() / "engine.log";
    const auto older = dir.path() / "engine.log.1";
    EXPECT_LE(std::filesystem::file_size(log), 512U << 10);
    EXPECT_LE(std::filesystem::file_size(log) + std::filesystem::file_size(older), 1U << 20);
    EXPECT_EQ(process->log_tail(1), "the last line\n");
    const auto text = read_file(log);
    EXPECT_TRUE(text.ends_with("x\nthe last line\n"))
        << text.substr(text.size() - std::min<std::size_t>(text.size(), 40));
}

TEST_F(LocalLauncherTest, StopEndsAProcessWithSigterm) {
    auto process = launch(shell("exec sleep 30", workdir));
    ASSERT_TRUE(process);
    const auto started = std::chrono::steady_clock::now();
    const auto status = process->stop(5s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(status.signal, SIGTERM) << status.describe();
    EXPECT_EQ(status.describe(), "killed by signal 15 (SIGTERM)");
    EXPECT_FALSE(process->running());
}

TEST_F(LocalLauncherTest, StopKillsAProcessThatIgnoresSigtermAfterTheGraceTimeAndReapsIt) {
    auto process = launch(shell("trap '' TERM; echo ready; while :; do sleep 0.05; done", workdir));
    ASSERT_TRUE(process);
    ASSERT_TRUE(eventually([&] { return process->log_tail(1) == "ready\n"; }));
    const pid_t pid = process->describe().pid.value();
    const auto started = std::chrono::steady_clock::now();
    const auto status = process->stop(300ms);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(status.signal, SIGKILL) << status.describe();
    // Reaped: no zombie left, and the pid is no child of ours any more.
    EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

TEST_F(LocalLauncherTest, StopKillsTheWholeProcessGroup) {
    auto process = launch(shell("sleep 30 & echo $!; wait", workdir));
    ASSERT_TRUE(process);
    ASSERT_TRUE(eventually([&] { return !process->log_tail(1).empty(); }));
    const pid_t grandchild = std::stoi(process->log_tail(1));
    EXPECT_FALSE(process_dead(grandchild));
    process->stop(2s);
    EXPECT_TRUE(eventually([&] { return process_dead(grandchild); }, 2s));
    EXPECT_TRUE(testing::live_group_members(process->describe().pid.value()).empty());
}

TEST_F(LocalLauncherTest, StopAfterTheLeaderExitedStillKillsWhatItLeftBehind) {
    auto process = launch(shell("sleep 30 & echo $!", workdir));
    ASSERT_TRUE(process);
    ASSERT_TRUE(wait_exit(*process));
    const pid_t grandchild = std::stoi(process->log_tail(1));
    EXPECT_FALSE(process_dead(grandchild));
    EXPECT_EQ(process->stop(2s).code, 0);
    EXPECT_TRUE(eventually([&] { return process_dead(grandchild); }, 2s));
}

TEST_F(LocalLauncherTest, DestroyingARunningProcessKillsIt) {
    auto process = launch(shell("trap '' TERM; exec sleep 30", workdir));
    ASSERT_TRUE(process);
    const pid_t pid = process->describe().pid.value();
    process.reset();
    EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
}

TEST_F(LocalLauncherTest, ExitCallbacksGetTheStatusOnce) {
    std::atomic<int> calls{0};
    std::atomic<int> code{-1};
    auto spec = shell("echo bye; exit 3", workdir);
    spec.on_exit = [&](const ExitStatus& status) {
        ++calls;
        code = status.code.value_or(-1);
    };
    auto process = launch(std::move(spec));
    ASSERT_TRUE(process);
    ASSERT_TRUE(eventually([&] { return calls == 1; }));
    EXPECT_EQ(code, 3);
    EXPECT_EQ(process->log_tail(1), "bye\n");
    // Registered after the exit: runs at once.
    std::optional<ExitStatus> late;
    process->on_exit([&](const ExitStatus& status) { late = status; });
    ASSERT_TRUE(late);
    EXPECT_EQ(late->describe(), "exit code 3");
    process->stop(1s);
    EXPECT_EQ(calls, 1);
}

TEST_F(LocalLauncherTest, TheLogTailIsCompleteWhenTheExitCallbackRuns) {
    std::string tail_at_exit;
    std::atomic<bool> done{false};
    LaunchSpec spec =
        shell("i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; echo the reason >&2; exit 1", workdir);
    EngineProcess* self = nullptr;
    std::mutex mutex;
    spec.on_exit = [&](const ExitStatus&) {
        const std::lock_guard lock(mutex);
        tail_at_exit = self->log_tail(1);
        done = true;
    };
    {
        const std::lock_guard lock(mutex);
        auto process = launch(std::move(spec));
        ASSERT_TRUE(process);
        self = process.release();
    }
    std::unique_ptr<EngineProcess> owner(self);
    ASSERT_TRUE(eventually([&] { return done.load(); }));
    EXPECT_EQ(tail_at_exit, "the reason\n");
}

TEST_F(LocalLauncherTest, DoesNotReapTheHubsOtherChildren) {
    const pid_t other = ::fork();
    if (other == 0) {
        ::_exit(7);
    }
    auto process = launch(shell("exit 0", workdir));
    ASSERT_TRUE(process);
    ASSERT_TRUE(wait_exit(*process));
    process->stop(1s);
    std::this_thread::sleep_for(50ms);
    int status = 0;
    ASSERT_EQ(::waitpid(other, &status, 0), other);
    EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST_F(LocalLauncherTest, MissingBinaryIsAClearError) {
    LaunchSpec spec;
    spec.command = {"atelier-no-such-engine", "--flag"};
    spec.workdir = workdir;
    auto process = launcher.launch(spec);
    ASSERT_FALSE(process);
    EXPECT_NE(process.error().message.find("cannot execute 'atelier-no-such-engine': not found on PATH"),
              std::string::npos)
        << process.error().message;

    spec.command = {"/opt/none/engine"};
    process = launcher.launch(spec);
    ASSERT_FALSE(process);
    EXPECT_NE(process.error().message.find("'/opt/none/engine': no such file"), std::string::npos)
        << process.error().message;
}

TEST_F(LocalLauncherTest, ExecFailureInTheChildIsReportedNotAnExitCode) {
    // Executable, but neither ELF nor a script with #!: only execve itself can tell.
    const auto program = workdir / "engine";
    {
        std::ofstream file(program);
        file << "\x7f"
             << "garbage";
    }
    std::filesystem::permissions(program, std::filesystem::perms::owner_all);
    LaunchSpec spec;
    spec.command = {"./engine"};
    spec.workdir = workdir;
    auto process = launcher.launch(spec);
    ASSERT_FALSE(process);
    EXPECT_NE(process.error().message.find("cannot execute '" + program.string() + "': Exec format error"),
              std::string::npos)
        << process.error().message;
}

TEST_F(LocalLauncherTest, MissingWorkingTreeIsAClearError) {
    auto process = launcher.launch(shell("true", dir.path() / "absent"));
    ASSERT_FALSE(process);
    EXPECT_NE(process.error().message.find("is not a directory"), std::string::npos) << process.error().message;
}

} // namespace
} // namespace atelier::engines
