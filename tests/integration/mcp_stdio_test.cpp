// SPDX-License-Identifier: Apache-2.0
// `atelier mcp`, the stdio bridge, fed a script on stdin: what it answers, and how it fails when
// the hub is down or refuses the token. (The interactive flow with the official SDK client is in
// tests/mcp_sdk.)

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_fixture.h"

namespace atelier::testing {
namespace {

/// `atelier mcp` as a child process talked to line by line over pipes.
class BridgeProcess {
public:
    explicit BridgeProcess(const std::vector<std::string>& argv) {
        int in[2];
        int out[2];
        EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
        EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            std::vector<char*> args;
            for (const auto& arg : argv) {
                args.push_back(const_cast<char*>(arg.c_str()));
            }
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        m_stdin = in[1];
        m_stdout = out[0];
    }
    ~BridgeProcess() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_stdin >= 0) {
            ::close(m_stdin);
        }
        ::close(m_stdout);
    }
    BridgeProcess(const BridgeProcess&) = delete;
    BridgeProcess& operator=(const BridgeProcess&) = delete;

    void send(const json& message) {
        const std::string line = message.dump() + "\n";
        EXPECT_EQ(::write(m_stdin, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    }
    /// The answer with `id` (other lines are kept); null json when none comes within 60 s.
    json next(const json& id) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (true) {
            for (auto it = m_lines.begin(); it != m_lines.end(); ++it) {
                if (it->contains("id") && (*it)["id"] == id) {
                    json found = *it;
                    m_lines.erase(it);
                    return found;
                }
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd descriptor{m_stdout, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) {
                return nullptr;
            }
            std::array<char, 4096> buffer{};
            const ssize_t got = ::read(m_stdout, buffer.data(), buffer.size());
            if (got <= 0) {
                return nullptr;
            }
            m_pending.append(buffer.data(), static_cast<std::size_t>(got));
            for (auto newline = m_pending.find('\n'); newline != std::string::npos; newline = m_pending.find('\n')) {
                auto message = json::parse(m_pending.substr(0, newline), nullptr, false);
                EXPECT_TRUE(message.is_object())
                    << "not a protocol message on stdout: " << m_pending.substr(0, newline);
                m_lines.push_back(std::move(message));
                m_pending.erase(0, newline + 1);
            }
        }
    }
    /// Closes stdin and waits for the exit; the exit status.
    int end() {
        ::close(m_stdin);
        m_stdin = -1;
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    pid_t m_pid = -1;
    int m_stdin = -1;
    int m_stdout = -1;
    std::string m_pending;
    std::vector<json> m_lines;
};

class McpStdioTest : public McpTest {
protected:
    /// Runs `atelier mcp --url URL --token TOKEN` with `messages` (one per line) on stdin.
    CommandResult bridge(const std::string& url, const std::string& token, const std::vector<json>& messages) {
        const auto input = config_dir.path() / "stdin.jsonl";
        {
            std::ofstream file(input);
            for (const auto& message : messages) {
                file << message.dump() << "\n";
            }
        }
        return run_command({"/bin/sh", "-c", "exec \"$0\" mcp --url \"$1\" --token \"$2\" < \"$3\"", atelier_binary(),
                            url, token, input.string()});
    }

    /// Every stdout line as JSON; a line that is not JSON fails the test (stdout is protocol only).
    static std::map<json, json> answers(const std::string& out) {
        std::map<json, json> by_id;
        std::istringstream lines(out);
        std::string line;
        while (std::getline(lines, line)) {
            const auto message = json::parse(line, nullptr, false);
            EXPECT_TRUE(message.is_object()) << "not a protocol message on stdout: " << line;
            if (message.is_object() && message.contains("id")) {
                by_id[message["id"]] = message;
            }
        }
        return by_id;
    }

    static json initialize_message() {
        return {{"jsonrpc", "2.0"},
                {"id", 1},
                {"method", "initialize"},
                {"params",
                 {{"protocolVersion", kMcpVersion},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "stdio_test"}, {"version", "1"}}}}}};
    }
};

TEST_F(McpStdioTest, AScriptedSessionGetsEveryAnswerOnStdoutAndNothingElse) {
    start_test_hub();
    const auto result =
        bridge("http://127.0.0.1:" + std::to_string(hub->port()), hub->token(),
               {initialize_message(),
                {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}},
                {{"jsonrpc", "2.0"},
                 {"id", "three"},
                 {"method", "tools/call"},
                 {"params", {{"name", "create_project"}, {"arguments", {{"name", "piped"}, {"kind", "test"}}}}}}});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    const auto by_id = answers(result.out);
    ASSERT_EQ(by_id.size(), 3U) << result.out << result.err;
    EXPECT_EQ(by_id.at(1)["result"]["protocolVersion"], kMcpVersion);
    EXPECT_FALSE(by_id.at(2)["result"]["tools"].empty());
    EXPECT_EQ(by_id.at("three")["result"]["structuredContent"]["name"], "piped") << by_id.at("three").dump();
}

TEST_F(McpStdioTest, ABrowserTabSeesTheFramesAndVersionsOfAStdioClientsCalls) {
    start_test_hub();
    const std::string project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    tab.frames.clear();

    BridgeProcess bridge(
        {atelier_binary(), "mcp", "--url", "http://127.0.0.1:" + std::to_string(hub->port()), "--token", hub->token()});
    bridge.send(initialize_message());
    ASSERT_FALSE(bridge.next(1).is_null());
    bridge.send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    const auto call = [](int id, const std::string& tool, const json& arguments) {
        return json{{"jsonrpc", "2.0"},
                    {"id", id},
                    {"method", "tools/call"},
                    {"params", {{"name", tool}, {"arguments", arguments}}}};
    };
    bridge.send(call(2, "open_project", {{"project_id", project}}));
    const auto opened = bridge.next(2);
    ASSERT_TRUE(opened.contains("result")) << opened.dump();
    EXPECT_EQ(opened["result"]["structuredContent"]["session_id"], ready["session_id"]) << "joins the tab's session";
    bridge.send(call(3, "scene__create_object", {{"name", "from stdio"}}));
    const auto created_object = bridge.next(3);
    ASSERT_TRUE(created_object.contains("result")) << created_object.dump();
    EXPECT_FALSE(created_object["result"].value("isError", false)) << created_object.dump();

    const auto created = tab.next("version:created");
    ASSERT_FALSE(created.is_null());
    EXPECT_EQ(created["payload"]["message"], "create_object name=from stdio");
    for (int attempt = 0; attempt < 10 && tab.frames.empty(); ++attempt) {
        (void)tab.next("no-such-type", std::chrono::seconds(1)); // collects the frames that follow
    }
    ASSERT_FALSE(tab.frames.empty());
    EXPECT_EQ(tab.frames.back().substr(0, 4), "AVF1");
    EXPECT_EQ(bridge.end(), 0);
}

TEST_F(McpStdioTest, ADeadHubGetsEachRequestAnErrorAndANonZeroExit) {
    // Port 1 on loopback: nothing listens there.
    const auto result = bridge("http://127.0.0.1:1", "some-token",
                               {initialize_message(), {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}}});
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    const auto by_id = answers(result.out);
    ASSERT_TRUE(by_id.contains(1)) << result.out;
    EXPECT_EQ(by_id.at(1)["error"]["code"], -32603);
    EXPECT_NE(by_id.at(1)["error"]["message"].get<std::string>().find("cannot reach the atelier hub"),
              std::string::npos)
        << by_id.at(1).dump();
    ASSERT_TRUE(by_id.contains(2)) << "a request read but never sent is answered too: " << result.out;
    EXPECT_NE(result.err.find("atelier mcp: cannot reach the atelier hub at http://127.0.0.1:1/mcp"), std::string::npos)
        << result.err;
}

TEST_F(McpStdioTest, AWrongTokenIsSaidClearly) {
    start_test_hub();
    const auto result =
        bridge("http://127.0.0.1:" + std::to_string(hub->port()), "wrong-token", {initialize_message()});
    EXPECT_EQ(result.exit_code, 1);
    const auto by_id = answers(result.out);
    ASSERT_TRUE(by_id.contains(1)) << result.out;
    EXPECT_NE(by_id.at(1)["error"]["message"].get<std::string>().find("refused the token (401"), std::string::npos)
        << by_id.at(1).dump();
    EXPECT_NE(result.err.find("refused the token"), std::string::npos) << result.err;
}

TEST_F(McpStdioTest, ABadUrlOrATokenInTheUrlIsRefusedAtStart) {
    const auto not_url = bridge("127.0.0.1:8420", "t", {});
    EXPECT_EQ(not_url.exit_code, 2);
    EXPECT_NE(not_url.err.find("is not a URL"), std::string::npos) << not_url.err;
    EXPECT_TRUE(not_url.out.empty());
    const auto query = bridge("http://127.0.0.1:8420/mcp?token=secret", "t", {});
    EXPECT_EQ(query.exit_code, 2);
    EXPECT_NE(query.err.find("no query string"), std::string::npos) << query.err;
}

} // namespace
} // namespace atelier::testing
