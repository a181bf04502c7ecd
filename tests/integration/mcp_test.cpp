// The MCP server at /mcp over raw HTTP: the Streamable HTTP transport's rules and the tools, with
// the C++ test engine as engine kind `test`.

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;

constexpr const char* kVersion = "2025-11-25";

class McpTest : public SessionTest {
protected:
    std::map<std::string, std::string> headers(const std::string& session = {}) const {
        std::map<std::string, std::string> result{{"Authorization", hub->bearer()},
                                                  {"Content-Type", "application/json"},
                                                  {"Accept", "application/json, text/event-stream"}};
        if (!session.empty()) {
            result["Mcp-Session-Id"] = session;
            result["MCP-Protocol-Version"] = kVersion;
        }
        return result;
    }

    HttpResult post(const std::map<std::string, std::string>& request_headers, const json& message) {
        return http_request(hub->port(), "POST", "/mcp", request_headers, message.dump());
    }

    /// initialize + notifications/initialized; the Mcp-Session-Id.
    std::string initialize() {
        const auto response = post(headers(), {{"jsonrpc", "2.0"},
                                               {"id", 1},
                                               {"method", "initialize"},
                                               {"params",
                                                {{"protocolVersion", kVersion},
                                                 {"capabilities", json::object()},
                                                 {"clientInfo", {{"name", "mcp_test"}, {"version", "1"}}}}}});
        EXPECT_EQ(response.status, 200) << response.body;
        const auto body = json::parse(response.body);
        EXPECT_EQ(body["result"]["protocolVersion"], kVersion);
        EXPECT_TRUE(body["result"]["capabilities"].contains("tools"));
        const std::string session =
            response.headers.count("mcp-session-id") ? response.headers.at("mcp-session-id") : "";
        EXPECT_FALSE(session.empty());
        const auto initialized = post(headers(session), {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
        EXPECT_EQ(initialized.status, 202) << initialized.body;
        return session;
    }

    /// One request in `session`; the whole JSON-RPC response.
    json request(const std::string& session, const std::string& method, const json& params = json::object()) {
        const auto response =
            post(headers(session), {{"jsonrpc", "2.0"}, {"id", ++m_next_id}, {"method", method}, {"params", params}});
        EXPECT_EQ(response.status, 200) << response.body << response.error << hub->log();
        EXPECT_EQ(response.headers.count("content-type") ? response.headers.at("content-type") : "",
                  "application/json");
        auto body = json::parse(response.body, nullptr, false);
        EXPECT_EQ(body["id"], m_next_id);
        return body;
    }

    json call(const std::string& session, const std::string& tool, const json& arguments = json::object()) {
        return request(session, "tools/call", {{"name", tool}, {"arguments", arguments}});
    }

    static bool has_tool(const json& list, const std::string& name) {
        for (const auto& tool : list["result"]["tools"]) {
            if (tool["name"] == name) {
                return true;
            }
        }
        return false;
    }

    int m_next_id = 1;
};

TEST_F(McpTest, AClientOpensAProjectCallsAnEngineToolAndGetsTheViewport) {
    start_test_hub();
    const std::string session = initialize();

    const auto before = request(session, "tools/list");
    EXPECT_TRUE(has_tool(before, "open_project")) << before.dump();
    EXPECT_FALSE(has_tool(before, "scene__create_object"));

    const auto created = call(session, "create_project", {{"name", "from mcp"}, {"kind", "test"}});
    ASSERT_FALSE(created["result"].value("isError", false)) << created.dump();
    const std::string project = created["result"]["structuredContent"]["id"];
    const auto listed = call(session, "list_projects");
    EXPECT_NE(listed.dump().find(project), std::string::npos) << listed.dump();

    const auto opened = call(session, "open_project", {{"project_id", project}});
    ASSERT_FALSE(opened["result"].value("isError", false)) << opened.dump() << hub->log();
    EXPECT_EQ(opened["result"]["structuredContent"]["engine"]["kind"], "test");

    const auto after = request(session, "tools/list");
    ASSERT_TRUE(has_tool(after, "scene__create_object")) << after.dump();
    for (const auto& tool : after["result"]["tools"]) {
        EXPECT_EQ(tool["inputSchema"]["type"], "object") << tool.dump();
        EXPECT_TRUE(tool["description"].is_string());
    }

    const auto result = call(session, "scene__create_object", {{"name", "cube"}});
    ASSERT_FALSE(result["result"].value("isError", false)) << result.dump();
    EXPECT_FALSE(result["result"]["content"].empty());
    const auto versions = http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth());
    EXPECT_NE(versions.body.find("tool scene__create_object"), std::string::npos) << versions.body;

    // The frame the call produced may arrive just after its result.
    json viewport;
    for (int attempt = 0; attempt < 50; ++attempt) {
        viewport = call(session, "get_viewport");
        if (!viewport["result"].value("isError", false)) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_FALSE(viewport["result"].value("isError", false)) << viewport.dump();
    const auto& image = viewport["result"]["content"][0];
    EXPECT_EQ(image["type"], "image");
    EXPECT_TRUE(image["mimeType"] == "image/jpeg" || image["mimeType"] == "image/png" ||
                image["mimeType"] == "image/webp")
        << image["mimeType"];
    EXPECT_FALSE(image["data"].get<std::string>().empty());

    const auto closed = call(session, "close_project");
    EXPECT_FALSE(closed["result"].value("isError", false)) << closed.dump();
    EXPECT_FALSE(has_tool(request(session, "tools/list"), "scene__create_object"));

    const auto ended = http_request(hub->port(), "DELETE", "/mcp", headers(session));
    EXPECT_EQ(ended.status, 204) << ended.body;
    EXPECT_EQ(post(headers(session), {{"jsonrpc", "2.0"}, {"id", 99}, {"method", "ping"}}).status, 404);
}

TEST_F(McpTest, ABrowserTabOnTheSameSessionSeesTheClientsChangesAndFrames) {
    start_test_hub();
    const std::string project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    tab.frames.clear();

    const std::string session = initialize();
    const auto opened = call(session, "open_project", {{"project_id", project}});
    ASSERT_FALSE(opened["result"].value("isError", false)) << opened.dump();
    EXPECT_EQ(opened["result"]["structuredContent"]["session_id"], ready["session_id"]) << "joins the live session";

    const auto result = call(session, "scene__create_object", {{"name", "seen"}});
    ASSERT_FALSE(result["result"].value("isError", false)) << result.dump();
    const auto created = tab.next("version:created");
    ASSERT_FALSE(created.is_null());
    EXPECT_NE(created["payload"]["message"].get<std::string>().find("scene__create_object"), std::string::npos);
    // Frames may follow the version; reading for a type that never comes collects them.
    for (int attempt = 0; attempt < 10 && tab.frames.empty(); ++attempt) {
        (void)tab.next("no-such-type", std::chrono::seconds(1));
    }
    ASSERT_FALSE(tab.frames.empty());
    EXPECT_EQ(tab.frames.back().substr(0, 4), "AVF1");
}

TEST_F(McpTest, InvalidArgumentsComeBackAsAnErrorResultWithEveryError) {
    start_test_hub();
    const std::string session = initialize();
    const std::string project = create_project(auth());
    ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));
    const auto result = call(session, "scene__create_object", {{"shape", "blob"}});
    EXPECT_TRUE(result["result"].value("isError", false)) << result.dump();
    EXPECT_EQ(result["result"]["structuredContent"]["error"]["details"].size(), 2U) << result.dump();
}

TEST_F(McpTest, AnUnknownToolIsAnInvalidParamsError) {
    start_test_hub();
    const std::string session = initialize();
    const auto result = call(session, "no__such_tool");
    EXPECT_EQ(result["error"]["code"], -32602) << result.dump();
    EXPECT_EQ(request(session, "no/such/method")["error"]["code"], -32601);
}

TEST_F(McpTest, AnIdleMcpSessionEndsAndLeavesItsHubSession) {
    start_test_hub({"--mcp-idle-timeout", "0.5", "--session-grace", "30"});
    const std::string session = initialize();
    const auto project = create_project(auth());
    const auto opened = call(session, "open_project", {{"project_id", project}});
    ASSERT_FALSE(opened["result"].value("isError", false)) << opened.dump();
    ASSERT_EQ(sessions()[0]["tabs"], 1) << sessions().dump();
    json listed;
    for (int i = 0; i < 300; ++i) { // the sweep runs every 125 ms here
        listed = sessions();
        if (!listed.empty() && listed[0]["tabs"] == 0) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(listed[0]["tabs"], 0) << "the idle MCP client still holds the session: " << listed.dump();
    EXPECT_EQ(post(headers(session), {{"jsonrpc", "2.0"}, {"id", 99}, {"method", "tools/list"}}).status, 404);
}

TEST_F(McpTest, TransportErrorsHaveTheirHttpStatuses) {
    start_test_hub();
    const std::string session = initialize();
    const json ping{{"jsonrpc", "2.0"}, {"id", 7}, {"method", "ping"}};
    EXPECT_EQ(post(headers(session), ping).status, 200);

    auto bad_version = headers(session);
    bad_version["MCP-Protocol-Version"] = "1900-01-01";
    EXPECT_EQ(post(bad_version, ping).status, 400);

    EXPECT_EQ(post(headers(), ping).status, 400) << "missing Mcp-Session-Id";
    EXPECT_EQ(post(headers("not-a-session"), ping).status, 404);

    auto foreign = headers(session);
    foreign["Origin"] = "http://evil.example";
    EXPECT_EQ(post(foreign, ping).status, 403);
    auto own = headers(session);
    own["Origin"] = "http://127.0.0.1:" + std::to_string(hub->port());
    EXPECT_EQ(post(own, ping).status, 200);

    auto anonymous = headers(session);
    anonymous.erase("Authorization");
    const auto unauthorized = post(anonymous, ping);
    EXPECT_EQ(unauthorized.status, 401);
    EXPECT_TRUE(unauthorized.headers.count("www-authenticate"));

    EXPECT_EQ(http_request(hub->port(), "GET", "/mcp", headers(session)).status, 405);
    EXPECT_EQ(http_request(hub->port(), "POST", "/mcp", headers(session), "{not json").status, 400);
}

} // namespace
} // namespace atelier::testing
