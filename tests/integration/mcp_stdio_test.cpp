// `atelier mcp`, the stdio bridge, fed a script on stdin: what it answers, and how it fails when
// the hub is down or refuses the token. (The interactive flow with the official SDK client is in
// tests/mcp_sdk.)

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_fixture.h"

namespace atelier::testing {
namespace {

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
