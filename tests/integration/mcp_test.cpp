// SPDX-License-Identifier: Apache-2.0
// The MCP server at /mcp over raw HTTP (session-based revisions): the transport's rules and the
// tools, with the C++ test engine as engine kind `test`.

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;

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
    EXPECT_NE(versions.body.find("create_object name=cube"), std::string::npos) << versions.body;

    const json image_result = viewport(session);
    ASSERT_FALSE(image_result["result"].value("isError", false)) << image_result.dump();
    const auto& image = image_result["result"]["content"][0];
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
    // The tab is told who joined: the MCP client by its clientInfo.
    json presence;
    for (auto seen = tab.next("session:presence"); !seen.is_null(); seen = tab.next("session:presence")) {
        if (seen["payload"]["clients"].size() == 2) {
            presence = seen;
            break;
        }
    }
    ASSERT_FALSE(presence.is_null()) << json(tab.seen).dump();
    bool listed = false;
    for (const auto& client : presence["payload"]["clients"]) {
        listed = listed || (client["kind"] == "mcp" && client["name"] == "mcp_test" && client["version"] == "1");
    }
    EXPECT_TRUE(listed) << presence.dump();

    const auto result = call(session, "scene__create_object", {{"name", "seen"}});
    ASSERT_FALSE(result["result"].value("isError", false)) << result.dump();
    const auto created = tab.next("version:created");
    ASSERT_FALSE(created.is_null());
    EXPECT_NE(created["payload"]["message"].get<std::string>().find("create_object"), std::string::npos);
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

    EXPECT_EQ(http_request(hub->port(), "POST", "/mcp", headers(session), "{not json").status, 400);

    // GET opens the session's event stream: it must accept one, name a session of this user, and
    // come from the hub's own origin.
    auto no_stream = headers(session);
    no_stream["Accept"] = "application/json";
    EXPECT_EQ(http_request(hub->port(), "GET", "/mcp", no_stream).status, 406);
    auto stream = headers();
    stream["Accept"] = "text/event-stream";
    EXPECT_EQ(http_request(hub->port(), "GET", "/mcp", stream).status, 400) << "missing Mcp-Session-Id";
    stream["Mcp-Session-Id"] = "not-a-session";
    EXPECT_EQ(http_request(hub->port(), "GET", "/mcp", stream).status, 404);
    stream["Mcp-Session-Id"] = session;
    stream["Origin"] = "http://evil.example";
    EXPECT_EQ(http_request(hub->port(), "GET", "/mcp", stream).status, 403);
    stream.erase("Origin");
    stream.erase("Authorization");
    EXPECT_EQ(http_request(hub->port(), "GET", "/mcp", stream).status, 401);
}

TEST_F(McpTest, EveryToolHasATitleAnAnnotatedEffectAndADescriptionFromItsManifest) {
    start_test_hub();
    const std::string session = initialize();
    const auto builtins = request(session, "tools/list");
    for (const char* name : {"list_projects", "create_project", "open_project", "close_project", "get_viewport",
                             "list_versions", "restore_version"}) {
        const auto tool = find_tool(builtins, name);
        ASSERT_FALSE(tool.is_null()) << name;
        EXPECT_FALSE(tool["title"].get<std::string>().empty()) << tool.dump();
        EXPECT_TRUE(tool["annotations"].contains("readOnlyHint")) << tool.dump();
    }
    EXPECT_EQ(find_tool(builtins, "list_versions")["annotations"]["readOnlyHint"], true);
    EXPECT_EQ(find_tool(builtins, "restore_version")["annotations"]["readOnlyHint"], false);

    const std::string project = create_project(auth());
    ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));
    const auto tools = request(session, "tools/list");
    const auto create = find_tool(tools, "scene__create_object");
    ASSERT_FALSE(create.is_null()) << tools.dump();
    EXPECT_EQ(create["title"], "Create object (scene)");
    EXPECT_EQ(create["annotations"]["readOnlyHint"], false);
    EXPECT_EQ(create["annotations"]["destructiveHint"], false) << "every change is a version that can be restored";
    EXPECT_EQ(find_tool(tools, "scene__list_objects")["annotations"]["readOnlyHint"], true);
    EXPECT_EQ(create["inputSchema"]["required"], json::array({"name"})) << create.dump();
    EXPECT_EQ(find_tool(tools, "basics__echo")["description"], "Return the text unchanged");
}

TEST_F(McpTest, VersionsAreListedAndARestoreReopensTheVersionInTheLiveEngine) {
    start_test_hub();
    const std::string session = initialize();
    const auto none = call(session, "list_versions");
    EXPECT_TRUE(none["result"].value("isError", false)) << "no project open and no project_id: " << none.dump();

    const std::string project = create_project(auth());
    ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));
    ASSERT_FALSE(call(session, "scene__create_object", {{"name", "first"}})["result"].value("isError", false));
    ASSERT_FALSE(call(session, "scene__create_object", {{"name", "second"}})["result"].value("isError", false));

    const auto listed = call(session, "list_versions", {{"limit", 10}});
    ASSERT_FALSE(listed["result"].value("isError", false)) << listed.dump();
    const auto& items = listed["result"]["structuredContent"]["items"];
    ASSERT_GE(items.size(), 3U) << listed.dump(); // the first version, then one per call
    EXPECT_EQ(items[0]["message"], "create_object name=second") << listed.dump();
    EXPECT_EQ(items[1]["message"], "create_object name=first") << listed.dump();
    const std::string after_first = items[1]["rev"];
    EXPECT_EQ(
        call(session, "list_versions", {{"project_id", project}, {"limit", 1}})["result"]["structuredContent"]["items"]
            .size(),
        1U);

    const auto bad = call(session, "restore_version", {{"version", "not-hex"}});
    EXPECT_TRUE(bad["result"].value("isError", false)) << bad.dump();
    const auto unknown = call(session, "restore_version", {{"version", "0123456789abcdef"}});
    EXPECT_TRUE(unknown["result"].value("isError", false)) << unknown.dump();

    const auto restored = call(session, "restore_version", {{"version", after_first}});
    ASSERT_FALSE(restored["result"].value("isError", false)) << restored.dump() << hub->log();
    const std::string new_rev = restored["result"]["structuredContent"]["rev"];
    EXPECT_NE(new_rev, after_first) << "a restore is a new version";
    EXPECT_EQ(call(session, "list_versions", {{"limit", 1}})["result"]["structuredContent"]["items"][0]["rev"],
              new_rev);

    // The live engine reopens the restored version: "second" disappears from its scene.
    json objects;
    for (int attempt = 0; attempt < 100; ++attempt) {
        objects = call(session, "scene__list_objects")["result"]["structuredContent"]["objects"];
        if (objects.size() == 1) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(objects.size(), 1U) << objects.dump();
    EXPECT_EQ(objects[0]["name"], "first");
}

// DESIGN §5: a client with no stream open and no call in flight leaves its hub session after the
// grace period (so a one-shot CLI run does not hold an engine), keeps its tool list, and its next
// call re-opens the project from the newest version, with what it did before still there.
TEST_F(McpTest, AQuietClientIsParkedItsEngineStopsAndItsNextCallReopensTheProject) {
    start_test_hub({"--session-grace", "0.5"});
    const std::string session = initialize();
    const auto project = create_project(auth());
    const auto opened = call(session, "open_project", {{"project_id", project}});
    ASSERT_FALSE(opened["result"].value("isError", false)) << opened.dump() << hub->log();
    const std::string first_hub_session = opened["result"]["structuredContent"]["session_id"];
    const auto made = call(session, "scene__create_object", {{"name", "cube"}});
    ASSERT_FALSE(made["result"].value("isError", false)) << made.dump();

    // Parked after 0.5 s of quiet; the hub session, left with no client, ends after its own grace.
    json live = sessions();
    for (int i = 0; i < 500 && !live.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        live = sessions();
    }
    ASSERT_TRUE(live.empty()) << "the quiet MCP client still holds its hub session: " << live.dump() << hub->log();
    EXPECT_NE(hub->log().find("parked (no call and no stream"), std::string::npos) << hub->log();

    // Its tools are listed as before: nothing changed for the client.
    EXPECT_TRUE(has_tool(request(session, "tools/list"), "scene__create_object"));

    // The next call re-opens the project (a new hub session, from the version the first committed).
    const auto listed = call(session, "scene__list_objects");
    ASSERT_FALSE(listed["result"].value("isError", false)) << listed.dump() << hub->log();
    EXPECT_NE(listed["result"].dump().find("cube"), std::string::npos) << listed.dump();
    const auto again = sessions();
    ASSERT_EQ(again.size(), 1U) << again.dump();
    EXPECT_NE(again[0].value("id", again[0].value("session_id", "")), first_hub_session) << again.dump();
    EXPECT_NE(hub->log().find("re-opened project"), std::string::npos) << hub->log();

    const auto cone = call(session, "scene__create_object", {{"name", "cone"}});
    ASSERT_FALSE(cone["result"].value("isError", false)) << cone.dump();
    const auto versions = http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth());
    EXPECT_NE(versions.body.find("create_object name=cone"), std::string::npos) << versions.body;
}

// A client that keeps its GET stream open is listening: it is never parked.
TEST_F(McpTest, AClientWithItsStreamOpenIsNotParked) {
    start_test_hub({"--session-grace", "0.3"});
    const std::string session = initialize();
    auto stream = listen(session);
    const auto project = create_project(auth());
    const auto opened = call(session, "open_project", {{"project_id", project}});
    ASSERT_FALSE(opened["result"].value("isError", false)) << opened.dump() << hub->log();
    // Several park looks (every 75 ms here) pass; the client stays seated.
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    const auto live = sessions();
    ASSERT_EQ(live.size(), 1U) << live.dump();
    EXPECT_EQ(live[0]["tabs"], 1) << live.dump();
    EXPECT_EQ(hub->log().find("parked (no call"), std::string::npos) << hub->log();
}

} // namespace
} // namespace atelier::testing
