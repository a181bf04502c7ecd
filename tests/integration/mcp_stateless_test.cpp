// SPDX-License-Identifier: Apache-2.0
// The stateless revision 2026-07-28 on the same /mcp endpoint: no initialize, the version and
// client capabilities in every request's `_meta`, Mcp-Method/Mcp-Name headers that must match the
// body, server/discover, subscriptions/listen, and a session handle passed as an argument.

#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_fixture.h"
#include "rest_client.h"

namespace atelier::testing {
namespace {

constexpr const char* kStateless = "2026-07-28";

class McpStatelessTest : public McpTest {
protected:
    static json meta() {
        return {{"io.modelcontextprotocol/protocolVersion", kStateless},
                {"io.modelcontextprotocol/clientInfo", {{"name", "mcp_stateless_test"}, {"version", "1"}}},
                {"io.modelcontextprotocol/clientCapabilities", json::object()}};
    }

    json message(const std::string& method, json params = json::object()) {
        params["_meta"] = meta();
        return {{"jsonrpc", "2.0"}, {"id", ++m_next_id}, {"method", method}, {"params", params}};
    }

    /// The headers a conforming client sends for `body`.
    std::map<std::string, std::string> modern_headers(const json& body) const {
        auto result = headers();
        result["MCP-Protocol-Version"] = kStateless;
        result["Mcp-Method"] = body["method"];
        if (body["method"] == "tools/call") {
            result["Mcp-Name"] = body["params"]["name"];
        }
        return result;
    }

    /// Sends `body` with conforming headers; the JSON-RPC answer (status 200 expected), from a JSON
    /// body or, for engine tools, the last message of the SSE stream.
    json send(const json& body) {
        const auto response = post(modern_headers(body), body);
        EXPECT_EQ(response.status, 200) << response.body << hub->log();
        const auto type = response.headers.count("content-type") ? response.headers.at("content-type") : "";
        if (type == "text/event-stream") {
            const auto messages = sse_messages(response.body);
            return messages.empty() ? json() : messages.back();
        }
        EXPECT_EQ(type, "application/json");
        return json::parse(response.body, nullptr, false);
    }

    json call_tool(const std::string& name, const json& arguments) {
        return send(message("tools/call", {{"name", name}, {"arguments", arguments}}));
    }
};

TEST_F(McpStatelessTest, DiscoverNamesEveryRevisionWithoutAnySession) {
    start_test_hub();
    const auto body = message("server/discover");
    const auto response = post(modern_headers(body), body);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.headers.count("mcp-session-id"), 0U) << "no session in this revision";
    const auto result = json::parse(response.body)["result"];
    EXPECT_EQ(result["resultType"], "complete");
    EXPECT_EQ(result["supportedVersions"], json::array({"2026-07-28", "2025-11-25", "2025-06-18"}));
    EXPECT_EQ(result["capabilities"]["tools"]["listChanged"], true);
    EXPECT_EQ(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "atelier");
    EXPECT_TRUE(result.contains("ttlMs") && result.contains("cacheScope"));

    const auto listed = send(message("tools/list"));
    EXPECT_EQ(listed["result"]["resultType"], "complete");
    EXPECT_EQ(listed["result"]["cacheScope"], "private");
    EXPECT_TRUE(has_tool(listed, "open_project"));
}

TEST_F(McpStatelessTest, HeadersThatDisagreeWithTheBodyAreRefused) {
    start_test_hub();
    const auto body = message("tools/call", {{"name", "list_projects"}, {"arguments", json::object()}});
    const auto expect_mismatch = [&](const std::map<std::string, std::string>& request_headers, const char* why) {
        const auto response = post(request_headers, body);
        EXPECT_EQ(response.status, 400) << why << ": " << response.body;
        EXPECT_EQ(json::parse(response.body, nullptr, false)["error"]["code"], -32020) << why << ": " << response.body;
    };
    auto missing_method = modern_headers(body);
    missing_method.erase("Mcp-Method");
    expect_mismatch(missing_method, "no Mcp-Method");
    auto wrong_method = modern_headers(body);
    wrong_method["Mcp-Method"] = "tools/list";
    expect_mismatch(wrong_method, "Mcp-Method differs");
    auto missing_name = modern_headers(body);
    missing_name.erase("Mcp-Name");
    expect_mismatch(missing_name, "no Mcp-Name");
    auto wrong_name = modern_headers(body);
    wrong_name["Mcp-Name"] = "create_project";
    expect_mismatch(wrong_name, "Mcp-Name differs");
    auto no_version = modern_headers(body);
    no_version.erase("MCP-Protocol-Version");
    expect_mismatch(no_version, "no MCP-Protocol-Version");

    auto encoded = modern_headers(body);
    encoded["Mcp-Name"] = "=?base64?bGlzdF9wcm9qZWN0cw==?="; // "list_projects"
    EXPECT_EQ(post(encoded, body).status, 200) << "a base64-encoded Mcp-Name is decoded first";
}

TEST_F(McpStatelessTest, BadVersionsAndMissingMetaHaveTheirErrors) {
    start_test_hub();
    auto future = message("tools/list");
    future["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01";
    auto future_headers = modern_headers(future);
    future_headers["MCP-Protocol-Version"] = "2099-01-01";
    const auto unsupported = post(future_headers, future);
    EXPECT_EQ(unsupported.status, 400) << unsupported.body;
    const auto error = json::parse(unsupported.body)["error"];
    EXPECT_EQ(error["code"], -32022);
    EXPECT_EQ(error["data"]["requested"], "2099-01-01");
    EXPECT_EQ(error["data"]["supported"][0], kStateless);

    auto no_capabilities = message("tools/list");
    no_capabilities["params"]["_meta"].erase("io.modelcontextprotocol/clientCapabilities");
    const auto malformed = post(modern_headers(no_capabilities), no_capabilities);
    EXPECT_EQ(malformed.status, 400);
    EXPECT_EQ(json::parse(malformed.body)["error"]["code"], -32602);

    const auto unknown_body = message("resources/list");
    const auto unknown = post(modern_headers(unknown_body), unknown_body);
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(json::parse(unknown.body)["error"]["code"], -32601);

    auto anonymous = modern_headers(unknown_body);
    anonymous.erase("Authorization");
    EXPECT_EQ(post(anonymous, unknown_body).status, 401);
}

TEST_F(McpStatelessTest, AHandleFromOpenProjectCarriesTheProjectAcrossRequests) {
    start_test_hub();
    const std::string project = create_project(auth());
    auto listen_body = message("subscriptions/listen", {{"notifications", {{"toolsListChanged", true}}}});
    auto listener = std::make_unique<SseReader>(hub->port(), "POST", modern_headers(listen_body), listen_body.dump());
    ASSERT_EQ(listener->status(), 200);
    const auto acknowledged = listener->next("notifications/subscriptions/acknowledged");
    ASSERT_FALSE(acknowledged.is_null());
    EXPECT_EQ(acknowledged["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], listen_body["id"]);
    EXPECT_EQ(acknowledged["params"]["notifications"]["toolsListChanged"], true);

    const auto opened = call_tool("open_project", {{"project_id", project}});
    ASSERT_FALSE(opened["result"].value("isError", false)) << opened.dump() << hub->log();
    EXPECT_EQ(opened["result"]["resultType"], "complete");
    const std::string handle = opened["result"]["structuredContent"]["session"];
    ASSERT_FALSE(handle.empty());

    const auto changed = listener->next("notifications/tools/list_changed");
    ASSERT_FALSE(changed.is_null());
    EXPECT_EQ(changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], listen_body["id"]);

    const auto tools = send(message("tools/list"));
    const auto create = find_tool(tools, "scene__create_object");
    ASSERT_FALSE(create.is_null()) << tools.dump();
    EXPECT_EQ(create["inputSchema"]["properties"]["session"]["type"], "string");
    const auto required = create["inputSchema"]["required"];
    EXPECT_NE(std::find(required.begin(), required.end(), "session"), required.end()) << create.dump();

    const auto result = call_tool("scene__create_object", {{"name", "cube"}, {"session", handle}});
    ASSERT_FALSE(result["result"].value("isError", false)) << result.dump();
    EXPECT_NE(result["result"]["content"].dump().find("Committed as version"), std::string::npos) << result.dump();
    const auto objects = call_tool("scene__list_objects", {{"session", handle}});
    EXPECT_EQ(objects["result"]["structuredContent"]["objects"][0]["name"], "cube") << objects.dump();

    const auto stale = call_tool("scene__list_objects", {{"session", "no-such-handle"}});
    EXPECT_TRUE(stale["result"].value("isError", false)) << stale.dump();
    const auto without = call_tool("scene__list_objects", json::object());
    EXPECT_EQ(without["error"]["code"], -32602) << "no handle: the engine tool is unknown here";

    const auto versions = call_tool("list_versions", {{"session", handle}});
    EXPECT_GE(versions["result"]["structuredContent"]["items"].size(), 2U) << versions.dump();

    ASSERT_FALSE(call_tool("close_project", {{"session", handle}})["result"].value("isError", false));
    EXPECT_FALSE(listener->next("notifications/tools/list_changed").is_null());
    EXPECT_FALSE(has_tool(send(message("tools/list")), "scene__create_object"));
    EXPECT_TRUE(call_tool("get_viewport", {{"session", handle}})["result"].value("isError", false))
        << "a closed handle is gone";
}

// A handle names its project (`<project>.<random>`): a hub that does not know it, here the same
// hub after kill -9, carries the seat on and re-opens the project; nothing acknowledged is lost.
TEST_F(McpStatelessTest, ASeatHandleNamesItsProjectAndOutlivesAKilledHub) {
    TempDir data;
    const auto file = config_dir.path() / "atelier.toml";
    std::ofstream(file) << "[engines.test]\ncommand = [\"" << test_engine_binary() << "\"]\n";
    const HubProcess::Options options{.args = {"--config", file.string(), "--session-grace", "1"},
                                      .data_dir = data.path()};
    hub = HubProcess::start(options);
    const std::string project = create_project(auth());
    const auto opened = call_tool("open_project", {{"project_id", project}});
    const std::string handle = opened["result"]["structuredContent"]["session"];
    ASSERT_EQ(handle.substr(0, project.size() + 1), project + ".") << opened.dump();
    ASSERT_FALSE(
        call_tool("scene__create_object", {{"name", "before"}, {"session", handle}})["result"].value("isError", false));

    ASSERT_TRUE(hub->stop(SIGKILL, std::chrono::seconds(10)).has_value());
    hub = HubProcess::start(options);
    const auto after = call_tool("scene__create_object", {{"name", "after"}, {"session", handle}});
    ASSERT_FALSE(after["result"].value("isError", false)) << after.dump() << hub->log();
    const auto objects = call_tool("scene__list_objects", {{"session", handle}});
    EXPECT_EQ(objects["result"]["structuredContent"]["objects"].size(), 2U) << objects.dump();
    EXPECT_TRUE(has_tool(send(message("tools/list")), "scene__create_object")) << "the seat is listed again";
    EXPECT_NE(hub->log().find("carried on here"), std::string::npos);

    // Opening another project in the seat gives a new handle, naming that project.
    const std::string other = create_project(auth());
    const auto moved = call_tool("open_project", {{"project_id", other}, {"session", handle}});
    const std::string other_handle = moved["result"]["structuredContent"]["session"];
    EXPECT_EQ(other_handle.substr(0, other.size() + 1), other + ".") << moved.dump();

    // A handle naming a project that does not exist, or that is not the caller's: a clear error.
    const auto unknown = call_tool("scene__list_objects", {{"session", "no-such-project." + std::string(24, 'a')}});
    EXPECT_TRUE(unknown["result"].value("isError", false)) << unknown.dump();
    EXPECT_NE(unknown["result"]["content"][0]["text"].get<std::string>().find("no-such-project"), std::string::npos)
        << unknown.dump();
}

// A seat belongs to the user who opened it, and a handle that names another user's project opens
// nothing: carrying a seat on opens its project as the caller, who must be allowed to.
TEST_F(McpStatelessTest, AnotherUsersHandleOpensNothingOfTheirs) {
    start_test_hub();
    const std::string alice = create_user_token(hub->port(), hub->token(), "alice");
    const std::string bob = create_user_token(hub->port(), hub->token(), "bob");
    const std::string project = create_project({{"Authorization", "Bearer " + alice}});
    const auto as = [this](const std::string& token, const std::string& name, const json& arguments) {
        const auto body = message("tools/call", {{"name", name}, {"arguments", arguments}});
        auto request_headers = modern_headers(body);
        request_headers["Authorization"] = "Bearer " + token;
        const auto response = post(request_headers, body);
        const auto messages = sse_messages(response.body);
        return messages.empty() ? json::parse(response.body, nullptr, false) : messages.back();
    };
    const auto opened = as(alice, "open_project", {{"project_id", project}});
    const std::string handle = opened["result"]["structuredContent"]["session"];
    ASSERT_FALSE(handle.empty()) << opened.dump();
    ASSERT_FALSE(as(alice, "scene__create_object", {{"name", "alice's"}, {"session", handle}})["result"].value(
        "isError", false));

    // Alice's own handle: Bob gets what he would get for a handle that does not exist.
    const auto stolen = as(bob, "scene__list_objects", {{"session", handle}});
    EXPECT_TRUE(stolen["result"].value("isError", false)) << stolen.dump();
    EXPECT_EQ(stolen.dump().find("alice's"), std::string::npos) << stolen.dump();
    // A handle Bob makes up for Alice's project: it does not open, as if the project did not exist.
    const std::string random(24, '7');
    const auto forged = as(bob, "scene__list_objects", {{"session", project + "." + random}});
    const auto absent = as(bob, "scene__list_objects", {{"session", std::string(36, '0') + "." + random}});
    EXPECT_TRUE(forged["result"].value("isError", false)) << forged.dump();
    EXPECT_EQ(forged.dump().find("alice's"), std::string::npos) << forged.dump();
    auto hidden = forged["result"]["content"][0]["text"].get<std::string>();
    hidden.replace(hidden.find(project), project.size(), std::string(36, '0'));
    EXPECT_EQ(hidden, absent["result"]["content"][0]["text"]) << "the same answer as for no project";
    // Alice's seat goes on, alone in its session.
    const auto objects = as(alice, "scene__list_objects", {{"session", handle}});
    EXPECT_EQ(objects["result"]["structuredContent"]["objects"].size(), 1U) << objects.dump();
    // Only the hubs of a cluster tell each other of tools changes.
    const auto told = http_request(hub->port(), "POST", "/api/cluster/mcp-tools-changed",
                                   {{"Authorization", "Bearer " + bob}}, json{{"subject", "x"}}.dump());
    EXPECT_EQ(told.status, 403) << told.body;
}

TEST_F(McpStatelessTest, ClosingACallsStreamCancelsItsEngineCall) {
    start_test_hub();
    const std::string project = create_project(auth());
    const auto opened = call_tool("open_project", {{"project_id", project}});
    const std::string handle = opened["result"]["structuredContent"]["session"];
    const auto in_flight = [this] {
        const auto engines = http_request(hub->port(), "GET", "/api/engines", auth());
        return json::parse(engines.body)["items"][0]["in_flight"].get<int>();
    };

    // The engine reports progress before it starts waiting: once it is seen, the call is running.
    auto body = message(
        "tools/call", {{"name", "basics__sleep"}, {"arguments", {{"ms", 600'000}, {"steps", 1}, {"session", handle}}}});
    auto stream = std::make_unique<SseReader>(hub->port(), "POST", modern_headers(body), body.dump());
    ASSERT_EQ(stream->status(), 200);
    EXPECT_EQ(stream->header("content-type"), "text/event-stream") << "engine tools answer on a stream";
    body["params"]["_meta"]["progressToken"] = 1;
    auto progress_body = body;
    progress_body["id"] = ++m_next_id;
    auto with_progress =
        std::make_unique<SseReader>(hub->port(), "POST", modern_headers(progress_body), progress_body.dump());
    ASSERT_FALSE(with_progress->next("notifications/progress").is_null()) << hub->log();
    EXPECT_EQ(in_flight(), 2);

    stream->close();
    with_progress->close(); // both clients leave
    int left = -1;
    for (int attempt = 0; attempt < 200 && left != 0; ++attempt) {
        left = in_flight();
        if (left != 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    EXPECT_EQ(left, 0) << "the engine calls still run after their clients closed the streams";
}

TEST_F(McpStatelessTest, ASessionClientAndAStatelessClientShareOneEndpoint) {
    start_test_hub();
    const std::string session = initialize();
    EXPECT_EQ(request(session, "ping")["result"], json::object());
    const auto listed = send(message("tools/list"));
    EXPECT_TRUE(has_tool(listed, "open_project"));
    // A stateless request that still carries an old Mcp-Session-Id is served statelessly.
    auto body = message("tools/list");
    auto mixed = modern_headers(body);
    mixed["Mcp-Session-Id"] = session;
    const auto answer = post(mixed, body);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(json::parse(answer.body)["result"]["resultType"], "complete");
}

TEST_F(McpStatelessTest, OpenAndCloseAnswerWithListChangedAndTheHubToolsReachTheEngine) {
    start_test_hub();
    const std::string project = create_project(auth());
    // No subscriptions/listen: the answers themselves say that the tools changed.
    const auto open = message("tools/call", {{"name", "open_project"}, {"arguments", {{"project_id", project}}}});
    const auto opened = post(modern_headers(open), open);
    ASSERT_EQ(opened.status, 200) << opened.body;
    ASSERT_EQ(opened.headers.at("content-type"), "text/event-stream") << opened.body;
    const auto messages = sse_messages(opened.body);
    ASSERT_EQ(messages.size(), 2U) << opened.body;
    EXPECT_EQ(messages[0]["method"], "notifications/tools/list_changed");
    EXPECT_EQ(messages[1]["id"], open["id"]);
    const std::string handle = messages[1]["result"]["structuredContent"]["session"];

    const auto listed = call_tool("list_engine_tools", {{"session", handle}});
    ASSERT_FALSE(listed["result"].value("isError", false)) << listed.dump();
    const auto& tools = listed["result"]["structuredContent"]["tools"];
    ASSERT_FALSE(tools.empty());
    for (const auto& tool : tools) {
        EXPECT_FALSE(tool["inputSchema"]["properties"].contains("session")) << "the handle goes to call_engine_tool";
    }
    const auto created = call_tool(
        "call_engine_tool", {{"session", handle}, {"tool", "scene__create_object"}, {"arguments", {{"name", "cube"}}}});
    ASSERT_FALSE(created["result"].value("isError", false)) << created.dump();
    EXPECT_NE(created["result"]["content"].dump().find("Committed as version"), std::string::npos) << created.dump();
    const auto objects = call_tool("scene__list_objects", {{"session", handle}});
    EXPECT_EQ(objects["result"]["structuredContent"]["objects"][0]["name"], "cube") << objects.dump();
    EXPECT_TRUE(call_tool("call_engine_tool", {{"tool", "scene__list_objects"}})["result"].value("isError", false))
        << "no handle, no engine";

    const auto close = message("tools/call", {{"name", "close_project"}, {"arguments", {{"session", handle}}}});
    const auto closed = post(modern_headers(close), close);
    ASSERT_EQ(closed.headers.at("content-type"), "text/event-stream") << closed.body;
    EXPECT_EQ(sse_messages(closed.body).front()["method"], "notifications/tools/list_changed");
}

} // namespace
} // namespace atelier::testing
