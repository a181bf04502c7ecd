// SPDX-License-Identifier: Apache-2.0
// The bubblewrap sandbox and the hub's Unix socket, end to end inside this process: a real
// net::Server serving /ws/engine through an EngineDirectory, and the C++ test engine launched by the
// LocalLauncher. Sandbox cases skip, saying why, where bubblewrap cannot create namespaces.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/timer_queue.h"
#include "engines/engine_directory.h"
#include "engines/engine_launcher.h"
#include "engines/launch_tokens.h"
#include "hub_process.h"
#include "launcher_test_support.h"
#include "net/server.h"

namespace atelier::engines {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::wait_exit;

/// An in-process hub: /ws/engine over TCP and a Unix socket.
class MiniHub {
public:
    explicit MiniHub(const std::filesystem::path& socket_path)
        : m_directory(std::make_shared<EngineDirectory>(tokens, m_timers, EngineDirectory::Options{})) {
        net::Router router;
        router.websocket("/ws/engine", net::Access::Public, m_directory);
        net::ServerOptions options;
        options.port = 0;
        options.unix_socket_path = socket_path.string();
        auto server = net::Server::create(
            options, std::move(router), [](const net::HttpRequest&) { return std::optional<std::string>(); },
            m_metrics);
        if (!server) {
            ADD_FAILURE() << server.error().message;
            return;
        }
        m_server = std::move(*server);
        std::promise<void> ready;
        m_thread = std::thread([this, &ready] { m_server->run([&ready] { ready.set_value(); }); });
        ready.get_future().wait();
    }

    ~MiniHub() {
        if (m_server) {
            m_server->stop(1s);
            m_thread.join();
        }
    }

    [[nodiscard]] bool running() const { return m_server != nullptr; }
    [[nodiscard]] std::string url() const {
        return "ws://127.0.0.1:" + std::to_string(m_server->port()) + "/ws/engine";
    }
    [[nodiscard]] std::uint16_t port() const { return m_server->port(); }

    /// The first engine that has sent its tools, once there is one.
    std::shared_ptr<EngineLink> wait_for_engine() {
        std::shared_ptr<EngineLink> found;
        eventually(
            [&] {
                for (const auto& link : m_directory->list()) {
                    if (link->describe().value("registry_version", 0) > 0) {
                        found = link;
                        return true;
                    }
                }
                return false;
            },
            20s);
        return found;
    }

    /// Runs a tool and waits for its result.
    Result<ToolCallResult> call(EngineLink& link, const std::string& tool, const nlohmann::json& arguments) {
        auto done = std::make_shared<std::promise<Result<ToolCallResult>>>();
        link.call(tool, arguments, [done](Result<ToolCallResult> result) { done->set_value(std::move(result)); });
        return done->get_future().get();
    }

    LaunchTokens tokens;

private:
    MetricsRegistry m_metrics;
    TimerQueue m_timers;
    std::shared_ptr<EngineDirectory> m_directory;
    std::unique_ptr<net::Server> m_server;
    std::thread m_thread;
};

class SandboxTest : public ::testing::Test {
protected:
    void SetUp() override { std::filesystem::create_directories(workdir); }

    /// Skips the test, with bubblewrap's own reason, where it cannot run.
    bool sandbox_available() {
        auto check = launcher.check_sandbox();
        if (!check) {
            skip_reason = check.error().message;
        }
        return bool(check);
    }

    /// A sandboxed `sh -c script`; the socket is a placeholder the sandbox binds but nobody uses.
    LaunchSpec sandboxed(const std::string& script) {
        auto spec = testing::shell(script, workdir);
        spec.sandbox = SandboxMode::Bubblewrap;
        spec.env = {{"ATELIER_WORKDIR", workdir.string()}};
        spec.hub_socket = placeholder_socket();
        return spec;
    }

    std::filesystem::path placeholder_socket() {
        const auto path = dir.path() / "placeholder.sock";
        if (!std::filesystem::exists(path)) {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
            EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
            ::close(fd);
        }
        return path;
    }

    std::string run_to_end(LaunchSpec spec) {
        auto process = launcher.launch(std::move(spec));
        EXPECT_TRUE(process) << process.error().message;
        if (!process) {
            return {};
        }
        EXPECT_TRUE(wait_exit(**process));
        return (*process)->log_tail(50);
    }

    atelier::testing::TempDir dir;
    std::filesystem::path workdir = dir.path() / "tree";
    LocalLauncher launcher;
    std::string skip_reason;
};

#define ATELIER_REQUIRE_SANDBOX()                                                                                      \
    if (!sandbox_available()) {                                                                                        \
        GTEST_SKIP() << "bubblewrap cannot run here: " << skip_reason;                                                 \
    }

TEST(SandboxArguments, BindOnlyTheWorkingTreeWritableAndCutTheNetwork) {
    LaunchSpec spec;
    spec.workdir = "/srv/tree";
    spec.hub_socket = "/srv/data/engine.sock";
    spec.sandbox_hidden = {"/srv/data"};
    const auto args = sandbox_arguments("/usr/bin/bwrap", spec);
    std::string line;
    for (const auto& arg : args) {
        line += arg + " ";
    }
    EXPECT_EQ(line, "/usr/bin/bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /run --unshare-net "
                    "--unshare-pid --unshare-ipc --unshare-uts --die-with-parent --tmpfs /srv/data "
                    "--bind /srv/tree /srv/tree --bind /srv/data/engine.sock /run/atelier/hub.sock "
                    "--chdir /srv/tree -- ");
}

TEST_F(SandboxTest, OnlyTheWorkingTreeIsWritable) {
    ATELIER_REQUIRE_SANDBOX();
    const auto output = run_to_end(sandboxed("touch /etc/atelier-sandbox-test && echo wrote-etc; "
                                             "touch /usr/atelier-sandbox-test && echo wrote-usr; "
                                             "touch \"$ATELIER_WORKDIR/made-inside\" && echo wrote-tree; "
                                             "touch /tmp/scratch && echo wrote-private-tmp; pwd"));
    EXPECT_EQ(output.find("wrote-etc"), std::string::npos) << output;
    EXPECT_EQ(output.find("wrote-usr"), std::string::npos) << output;
    EXPECT_NE(output.find("wrote-tree\n"), std::string::npos) << output;
    EXPECT_NE(output.find("wrote-private-tmp\n"), std::string::npos) << output;
    EXPECT_NE(output.find(workdir.string() + "\n"), std::string::npos) << output;
    EXPECT_FALSE(std::filesystem::exists("/etc/atelier-sandbox-test"));
    EXPECT_TRUE(std::filesystem::exists(workdir / "made-inside"));
}

TEST_F(SandboxTest, HiddenDirectoriesAreEmpty) {
    ATELIER_REQUIRE_SANDBOX();
    std::filesystem::create_directories(dir.path() / "data");
    std::ofstream(dir.path() / "data" / "token") << "secret";
    auto spec = sandboxed("cat " + (dir.path() / "data" / "token").string() + " || echo no-token");
    spec.sandbox_hidden = {dir.path() / "data"};
    EXPECT_EQ(run_to_end(std::move(spec)),
              "cat: " + (dir.path() / "data" / "token").string() + ": No such file or directory\nno-token\n");
}

TEST_F(SandboxTest, NoNetworkNotEvenLoopback) {
    ATELIER_REQUIRE_SANDBOX();
    // A listener on the host's loopback, which the same command reaches without the sandbox.
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    const std::string script = "bash -c 'echo > /dev/tcp/127.0.0.1/" + std::to_string(ntohs(address.sin_port)) +
                               "' 2>/dev/null && echo connected || echo refused";
    auto open = testing::shell(script, workdir);
    EXPECT_EQ(run_to_end(std::move(open)), "connected\n");
    EXPECT_EQ(run_to_end(sandboxed(script)), "refused\n");
    ::close(listener);
}

TEST_F(SandboxTest, StopGivesTheEngineSigtermAndLeavesNothing) {
    ATELIER_REQUIRE_SANDBOX();
    auto process =
        launcher.launch(sandboxed("trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done"));
    ASSERT_TRUE(process) << process.error().message;
    ASSERT_TRUE(eventually([&] { return (*process)->log_tail(1) == "ready\n"; }));
    const auto status = (*process)->stop(5s);
    EXPECT_EQ((*process)->log_tail(1), "got TERM\n");
    EXPECT_EQ(status.code, 0) << status.describe();
    EXPECT_TRUE(testing::live_group_members((*process)->describe().pid.value()).empty());
}

TEST_F(SandboxTest, SandboxWithoutTheHubSocketIsRefused) {
    ATELIER_REQUIRE_SANDBOX();
    auto spec = sandboxed("true");
    spec.hub_socket.clear();
    auto process = launcher.launch(std::move(spec));
    ASSERT_FALSE(process);
    EXPECT_NE(process.error().message.find("Unix socket"), std::string::npos) << process.error().message;
}

TEST_F(SandboxTest, MissingBubblewrapIsAClearError) {
    const char* old_path = std::getenv("PATH");
    const std::string saved = old_path != nullptr ? old_path : "";
    ::setenv("PATH", dir.path().c_str(), 1);
    LocalLauncher without_bwrap;
    auto process = without_bwrap.launch(sandboxed("true"));
    ::setenv("PATH", saved.c_str(), 1);
    ASSERT_FALSE(process);
    EXPECT_NE(process.error().message.find("bubblewrap"), std::string::npos) << process.error().message;
}

class HubSocketTest : public SandboxTest {
protected:
    LaunchSpec test_engine(MiniHub& mini_hub, SandboxMode sandbox) {
        LaunchSpec spec;
        spec.command = {atelier::testing::test_engine_binary()};
        spec.workdir = workdir;
        spec.log_file = dir.path() / "engine.log";
        spec.sandbox = sandbox;
        spec.hub_socket = socket_path;
        spec.sandbox_hidden = {dir.path()};
        // The TCP URL stays in the environment; only the socket can work (no network in the sandbox,
        // a dead port outside it), so a working call proves the engine came through the socket.
        spec.env = {{"ATELIER_HUB_URL", sandbox == SandboxMode::None ? "ws://127.0.0.1:1/ws/engine" : mini_hub.url()},
                    {"ATELIER_ENGINE_TOKEN", mini_hub.tokens.issue({"test", ""})},
                    {"ATELIER_WORKDIR", workdir.string()}};
        return spec;
    }

    void expect_tool_call_works(std::unique_ptr<EngineProcess>& process) {
        auto link = hub->wait_for_engine();
        ASSERT_TRUE(link) << process->log_tail(20);
        auto result = hub->call(*link, "basics__echo", {{"text", "through the socket"}});
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(result->data["text"], "through the socket");
        process->stop(5s);
    }

    std::filesystem::path socket_path = dir.path() / "hub.sock";
    std::unique_ptr<MiniHub> hub;
};

TEST_F(HubSocketTest, ServerListensOnTheSocketWithOwnerOnlyMode) {
    hub = std::make_unique<MiniHub>(socket_path);
    ASSERT_TRUE(hub->running());
    const auto status = std::filesystem::status(socket_path);
    EXPECT_EQ(status.type(), std::filesystem::file_type::socket);
    EXPECT_EQ(status.permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(HubSocketTest, StaleSocketIsReplacedButALiveOneIsNot) {
    {
        const auto stale = placeholder_socket();
        std::filesystem::rename(stale, socket_path);
    }
    hub = std::make_unique<MiniHub>(socket_path);
    ASSERT_TRUE(hub->running());
    MetricsRegistry metrics;
    net::ServerOptions options;
    options.port = 0;
    options.unix_socket_path = socket_path.string();
    auto second = net::Server::create(
        options, net::Router{}, [](const net::HttpRequest&) { return std::optional<std::string>(); }, metrics);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("another server is listening"), std::string::npos) << second.error().message;
}

TEST_F(HubSocketTest, EngineConnectsThroughTheSocketAndAnswersACall) {
    hub = std::make_unique<MiniHub>(socket_path);
    ASSERT_TRUE(hub->running());
    auto process = launcher.launch(test_engine(*hub, SandboxMode::None));
    ASSERT_TRUE(process) << process.error().message;
    expect_tool_call_works(*process);
}

TEST_F(HubSocketTest, SandboxedEngineReachesTheHubOnlyThroughTheSocket) {
    ATELIER_REQUIRE_SANDBOX();
    hub = std::make_unique<MiniHub>(socket_path);
    ASSERT_TRUE(hub->running());
    auto process = launcher.launch(test_engine(*hub, SandboxMode::Bubblewrap));
    ASSERT_TRUE(process) << process.error().message;
    expect_tool_call_works(*process);
}

} // namespace
} // namespace atelier::engines
