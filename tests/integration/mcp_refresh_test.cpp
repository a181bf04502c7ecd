// SPDX-License-Identifier: Apache-2.0
// Clients that never open the GET stream (Claude Code over HTTP) or keep the tool list they saw
// first: a call that changed the client's tools says so on its own answer (list_changed first, then
// the result, as one SSE body), and the hub tools list_engine_tools / call_engine_tool reach the
// engine's tools without any refresh. Also what operators see: log lines and /metrics.

#include "atelier/source_dir.h"
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_fixture.h"

namespace atelier::testing {
namespace {

constexpr const char* kListChanged = "notifications/tools/list_changed";

class McpRefreshTest : public McpTest {
protected:
    /// A session with a test-engine project open; the session id.
    std::string opened_session() {
        const std::string session = initialize();
        const std::string project = create_project(auth());
        const auto opened = call(session, "open_project", {{"project_id", project}});
        EXPECT_FALSE(opened["result"].value("isError", false)) << opened.dump();
        return session;
    }

    static std::string text_of(const json& response) {
        std::string text;
        for (const auto& block : response["result"]["content"]) {
            text += block.value("text", "");
        }
        return text;
    }
};

TEST_F(McpRefreshTest, OpenAndCloseAnswerWithListChangedFirstWhenTheClientTakesAStream) {
    start_test_hub();
    const std::string session = initialize(); // and no GET stream, as Claude Code over HTTP
    const std::string project = create_project(auth());

    const auto opened = call(session, "open_project", {{"project_id", project}});
    ASSERT_FALSE(opened["result"].value("isError", false)) << opened.dump();
    EXPECT_EQ(m_answer_type, "text/event-stream");
    EXPECT_TRUE(notified(kListChanged)) << "open_project's own answer says the tools changed";

    // A call that leaves the tools as they were is plain JSON.
    const auto created = call(session, "scene__create_object", {{"name", "cube"}});
    ASSERT_FALSE(created["result"].value("isError", false)) << created.dump();
    EXPECT_EQ(m_answer_type, "application/json");

    const auto closed = call(session, "close_project");
    ASSERT_FALSE(closed["result"].value("isError", false)) << closed.dump();
    EXPECT_EQ(m_answer_type, "text/event-stream");
    EXPECT_TRUE(notified(kListChanged)) << "closing removes the engine tools";

    // Closing again changes nothing: no notification.
    (void)call(session, "close_project");
    EXPECT_FALSE(notified(kListChanged));
}

TEST_F(McpRefreshTest, AClientThatRelistsOnTheNotificationHasTheNewToolsBeforeTheResult) {
    start_test_hub();
    const std::string session = initialize();
    const std::string project = create_project(auth());
    const json open{{"jsonrpc", "2.0"},
                    {"id", "open"},
                    {"method", "tools/call"},
                    {"params", {{"name", "open_project"}, {"arguments", {{"project_id", project}}}}}};
    SseReader answer(hub->port(), "POST", headers(session), open.dump());
    ASSERT_EQ(answer.status(), 200);
    EXPECT_EQ(answer.header("content-type"), "text/event-stream");
    ASSERT_EQ(answer.next().value("method", ""), kListChanged) << hub->log();
    // As Claude Code does: list the tools on the notification, while the call's answer is open.
    EXPECT_TRUE(has_tool(request(session, "tools/list"), "scene__create_object"));
    const auto result = answer.next();
    EXPECT_EQ(result["id"], "open") << result.dump();
    EXPECT_FALSE(result["result"].value("isError", false)) << result.dump();
    EXPECT_TRUE(answer.wait_end());
}

TEST_F(McpRefreshTest, AJsonOnlyClientGetsJsonAndTheGetStreamStillCarriesTheNotification) {
    start_test_hub();
    const std::string session = initialize();
    auto stream = listen(session);
    const std::string project = create_project(auth());
    auto json_only = headers(session);
    json_only["Accept"] = "application/json";
    const auto response =
        post(json_only, {{"jsonrpc", "2.0"},
                         {"id", 7},
                         {"method", "tools/call"},
                         {"params", {{"name", "open_project"}, {"arguments", {{"project_id", project}}}}}});
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.headers.at("content-type"), "application/json");
    EXPECT_FALSE(json::parse(response.body)["result"].value("isError", false)) << response.body;
    EXPECT_FALSE(stream->next(kListChanged).is_null()) << "the GET stream is told as before";
}

TEST_F(McpRefreshTest, ACallDuringWhichTheRegistryChangedCarriesListChangedBeforeItsResult) {
    // The engine reads its manifests from a folder of this test's, to which a tool is added later.
    const auto manifests = config_dir.path() / "manifests";
    std::filesystem::create_directories(manifests);
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(ATELIER_SOURCE_DIR) / "tests/engine/manifests")) {
        std::filesystem::copy_file(entry.path(), manifests / entry.path().filename());
    }
    start_hub(json::array({test_engine_binary(), "--manifests", manifests.string()}).dump());
    const std::string session = opened_session();
    auto stream = listen(session);
    const json message{{"jsonrpc", "2.0"},
                       {"id", "long"},
                       {"method", "tools/call"},
                       {"params",
                        {{"name", "basics__sleep"},
                         {"arguments", {{"ms", 600'000}, {"steps", 1}}},
                         {"_meta", {{"progressToken", "p"}}}}}};
    SseReader call_stream(hub->port(), "POST", headers(session), message.dump());
    ASSERT_EQ(call_stream.status(), 200);
    ASSERT_FALSE(call_stream.next("notifications/progress").is_null()) << "the engine is running the call";

    // The engine reloads its manifests (SIGHUP): the registry gains a tool while the call runs.
    std::ofstream(manifests / "extra.json") << R"({"addon_info": {"id": "extra", "name": "Extra", "version": "1.0.0"},
        "ai_integration": {"agent_description": "Waves.", "tools": [{"name": "wave", "description": "Wave a hand",
        "mutates": false, "parameters": []}]}})";
    const auto sessions = json::parse(http_request(hub->port(), "GET", "/api/sessions", auth()).body)["items"];
    ASSERT_EQ(sessions.size(), 1U);
    ASSERT_EQ(::kill(sessions[0]["engine_pid"].get<pid_t>(), SIGHUP), 0);
    ASSERT_FALSE(stream->next(kListChanged).is_null()) << "the registry update reached the MCP session";

    EXPECT_EQ(post(headers(session), {{"jsonrpc", "2.0"},
                                      {"method", "notifications/cancelled"},
                                      {"params", {{"requestId", "long"}, {"reason", "done"}}}})
                  .status,
              202);
    const auto notice = call_stream.next();
    EXPECT_EQ(notice.value("method", ""), kListChanged) << notice.dump();
    const auto answer = call_stream.next();
    EXPECT_EQ(answer["id"], "long") << answer.dump();
    EXPECT_TRUE(has_tool(request(session, "tools/list"), "extra__wave"));
}

TEST_F(McpRefreshTest, ListEngineToolsGivesEachToolsNameDescriptionAndSchema) {
    start_test_hub();
    const std::string session = initialize();
    const auto before = call(session, "list_engine_tools");
    EXPECT_TRUE(before["result"].value("isError", false)) << "no project open: " << before.dump();

    const std::string project = create_project(auth());
    ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));
    const auto listed = call(session, "list_engine_tools");
    ASSERT_FALSE(listed["result"].value("isError", false)) << listed.dump();
    const auto& tools = listed["result"]["structuredContent"]["tools"];
    const json direct = find_tool(request(session, "tools/list"), "scene__create_object");
    bool found = false;
    for (const auto& tool : tools) {
        if (tool["name"] == "scene__create_object") {
            found = true;
            EXPECT_EQ(tool["inputSchema"], direct["inputSchema"]);
            EXPECT_EQ(tool["description"], direct["description"]);
            EXPECT_EQ(tool["title"], "Create object (scene)");
        }
    }
    EXPECT_TRUE(found) << tools.dump();
    EXPECT_NE(text_of(listed).find("scene__create_object"), std::string::npos) << "the model reads the text";
}

TEST_F(McpRefreshTest, CallEngineToolRunsTheToolExactlyLikeADirectCall) {
    start_test_hub();
    const std::string session = opened_session();

    const auto direct = call(session, "scene__create_object", {{"name", "one"}});
    const auto through_hub =
        call(session, "call_engine_tool", {{"tool", "scene__create_object"}, {"arguments", {{"name", "two"}}}});
    ASSERT_FALSE(through_hub["result"].value("isError", false)) << through_hub.dump();
    EXPECT_NE(text_of(through_hub).find("Committed as version"), std::string::npos) << through_hub.dump();
    EXPECT_EQ(through_hub["result"]["structuredContent"].size(), direct["result"]["structuredContent"].size());

    // The same validation: the same errors, in the text and in structuredContent.error.
    const auto bad_direct = call(session, "scene__create_object", {{"shape", "blob"}});
    const auto bad_hub =
        call(session, "call_engine_tool", {{"tool", "scene__create_object"}, {"arguments", {{"shape", "blob"}}}});
    EXPECT_TRUE(bad_hub["result"].value("isError", false));
    EXPECT_EQ(bad_hub["result"]["structuredContent"], bad_direct["result"]["structuredContent"]);
    EXPECT_EQ(text_of(bad_hub), text_of(bad_direct));

    // Images come back as image content.
    const auto image = call(session, "call_engine_tool", {{"tool", "basics__image"}});
    ASSERT_FALSE(image["result"].value("isError", false)) << image.dump();
    bool has_image = false;
    for (const auto& block : image["result"]["content"]) {
        has_image = has_image || (block["type"] == "image" && !block.value("data", "").empty());
    }
    EXPECT_TRUE(has_image) << image.dump().substr(0, 500);

    // Both calls were committed as versions.
    const auto versions = call(session, "list_versions");
    const auto& items = versions["result"]["structuredContent"]["items"];
    ASSERT_GE(items.size(), 3U) << versions.dump();
    EXPECT_EQ(items[0]["message"], "create_object name=two");
    EXPECT_EQ(items[1]["message"], "create_object name=one");

    // A name the engine does not have is an error result the model can read, not a protocol error.
    const auto unknown = call(session, "call_engine_tool", {{"tool", "no__such_tool"}});
    EXPECT_TRUE(unknown["result"].value("isError", false)) << unknown.dump();
    EXPECT_NE(text_of(unknown).find("list_engine_tools"), std::string::npos) << unknown.dump();
    const auto no_name = call(session, "call_engine_tool", {{"arguments", json::object()}});
    EXPECT_TRUE(no_name["result"].value("isError", false)) << no_name.dump();
    const auto bad_arguments = call(session, "call_engine_tool", {{"tool", "basics__echo"}, {"arguments", "x"}});
    EXPECT_TRUE(bad_arguments["result"].value("isError", false)) << bad_arguments.dump();
}

TEST_F(McpRefreshTest, SessionsAreLoggedWithTheirClientAndCountedInMetrics) {
    start_test_hub();
    const auto metric = [this](const std::string& series) {
        const auto body = http_request(hub->port(), "GET", "/metrics", auth()).body;
        const auto at = body.find(series + " ");
        return at == std::string::npos
                   ? std::string("absent")
                   : body.substr(at + series.size() + 1, body.find('\n', at) - at - series.size() - 1);
    };
    const std::string session = opened_session();
    EXPECT_EQ(metric("atelier_mcp_sessions{era=\"session\"}"), "1");
    EXPECT_EQ(metric("atelier_mcp_sessions_started_total{era=\"session\"}"), "1");
    ASSERT_FALSE(call(session, "close_project")["result"].value("isError", false));
    EXPECT_EQ(http_request(hub->port(), "DELETE", "/mcp", headers(session)).status, 204);
    EXPECT_EQ(metric("atelier_mcp_sessions{era=\"session\"}"), "0");

    const std::string log = hub->log();
    const std::string id = session.substr(0, 8);
    EXPECT_NE(log.find("mcp session " + id + ": started by mcp_test 1"), std::string::npos) << log;
    EXPECT_NE(log.find("mcp session " + id + ": open_project "), std::string::npos) << log;
    EXPECT_NE(log.find("mcp session " + id + ": close_project "), std::string::npos) << log;
    EXPECT_NE(log.find("mcp session " + id + ": ended (DELETE), client mcp_test 1"), std::string::npos) << log;
}

} // namespace
} // namespace atelier::testing
