// SPDX-License-Identifier: Apache-2.0
// MCP across the hubs of a cluster (docs/scaling.md "MCP"), black box: an MCP client that talks
// to a hub which does not own its project works in the owner's session, and is served by its own
// hub again once the owner is gone.

#include <signal.h>

#include "cluster_fixture.h"
#include "mcp_peer.h"
#include "rest_client.h"

namespace atelier::testing {
namespace {

bool has_tool(const json& list, const std::string& name) {
    if (!list.is_object() || !list.contains("result")) {
        return false;
    }
    for (const auto& tool : list["result"]["tools"]) {
        if (tool["name"] == name) {
            return true;
        }
    }
    return false;
}

class ClusterMcpTest : public ClusterTest {
protected:
    /// A project of kind `test` made on hub 0, with a browser tab holding its session there.
    void start_owned_project(int hub_count = 2) {
        start_cluster(hub_count);
        project = create_project(ports[0], "mcp across hubs");
        tab = std::make_unique<ClusterTab>(ports[0], "/ws/browser?project=" + project, token);
        ASSERT_TRUE(tab->connected());
        ASSERT_FALSE(tab->start(project).is_null()) << tab->error.dump();
        ASSERT_EQ(owner(project), 0);
    }

    std::string project;
    std::unique_ptr<ClusterTab> tab;
};

TEST_F(ClusterMcpTest, AnMcpClientOfAHubThatDoesNotOwnTheProjectWorksInTheOwnersSession) {
    start_owned_project();
    McpPeer client(ports[1], token);
    ASSERT_TRUE(client.initialize());
    auto stream = client.listen();
    ASSERT_EQ(stream->status(), 200);

    const auto opened = client.call("open_project", {{"project_id", project}});
    ASSERT_TRUE(McpPeer::succeeded(opened)) << opened.dump() << hubs[1]->log();
    // The session's requests go to the owner now: the stream that hub 1 held ends, and the
    // client's next one is served by the owner.
    EXPECT_TRUE(stream->wait_end());
    auto forwarded_stream = client.listen();
    EXPECT_EQ(forwarded_stream->status(), 200);

    const auto tools = client.request("tools/list");
    EXPECT_TRUE(has_tool(tools, "scene__create_object")) << tools.dump();
    const auto made = client.call("scene__create_object", {{"name", "through hub 1"}});
    ASSERT_TRUE(McpPeer::succeeded(made)) << made.dump() << hubs[0]->log();
    // It ran in the owner's session: the browser tab there sees its version; no second session.
    EXPECT_TRUE(tab->next({"version:created"}).is_object());
    EXPECT_EQ(owner(project), 0);
    const auto versions =
        http_request(ports[1], "GET", "/api/projects/" + project + "/versions", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(versions.status, 200) << versions.body;

    // DELETE ends the session where it lives.
    const auto ended = http_request(ports[1], "DELETE", "/mcp", client.headers());
    EXPECT_EQ(ended.status, 204) << ended.body;
}

TEST_F(ClusterMcpTest, AnMcpClientWhoseProjectOwnerDiesIsServedByItsOwnHubWhichTakesTheProjectOver) {
    start_owned_project();
    McpPeer client(ports[1], token);
    ASSERT_TRUE(client.initialize());
    ASSERT_TRUE(McpPeer::succeeded(client.call("open_project", {{"project_id", project}})));
    ASSERT_TRUE(McpPeer::succeeded(client.call("scene__create_object", {{"name", "before"}})));

    tab.reset();
    ASSERT_TRUE(hubs[0]->stop(SIGKILL, 10s).has_value());
    // Until the dead hub's lease lapses its calls fail (503: the owner does not answer); then hub 1
    // re-opens the project in the same MCP session and takes it over.
    json after;
    EXPECT_TRUE(eventually(
        [&] {
            after = client.call("scene__create_object", {{"name", "after"}});
            return McpPeer::succeeded(after);
        },
        90s))
        << after.dump() << " status " << client.status << hubs[1]->log();
    EXPECT_EQ(owner(project), 1);
}

// The stateless revision (2026-07-28): a seat's handle names its project, so each call goes to
// the project's owner; the user's tool list and listen stream span the hubs.
TEST_F(ClusterMcpTest, AStatelessClientOfAHubThatDoesNotOwnTheProjectWorksInTheOwnersSession) {
    start_owned_project();
    StatelessPeer client(ports[1], token);
    auto listener = client.listen();
    ASSERT_EQ(listener->status(), 200);
    ASSERT_FALSE(listener->next("notifications/subscriptions/acknowledged").is_null());
    EXPECT_FALSE(has_tool(client.request("tools/list"), "scene__create_object")) << "no seat yet";

    const auto opened = client.call("open_project", {{"project_id", project}});
    ASSERT_TRUE(McpPeer::succeeded(opened)) << opened.dump() << " status " << client.status << hubs[1]->log();
    const std::string handle = opened["result"]["structuredContent"]["session"];
    EXPECT_EQ(handle.substr(0, project.size() + 1), project + ".") << "the handle names its project";
    EXPECT_EQ(owner(project), 0) << "joined the owner's session, no second one";
    // The seat is on hub 0; hub 1's listener hears that the user's tools changed there.
    EXPECT_FALSE(listener->next("notifications/tools/list_changed").is_null()) << hubs[0]->log();

    // Hub 1 lists the engine tools of the user's seat on hub 0.
    const auto tools = client.request("tools/list");
    EXPECT_TRUE(has_tool(tools, "scene__create_object")) << tools.dump() << hubs[1]->log();
    const auto made = client.call("scene__create_object", {{"name", "through hub 1"}, {"session", handle}});
    ASSERT_TRUE(McpPeer::succeeded(made)) << made.dump() << hubs[0]->log();
    EXPECT_TRUE(tab->next({"version:created"}).is_object()) << "it ran in the owner's session";
    EXPECT_EQ(owner(project), 0);
    const auto listed = client.call("scene__list_objects", {{"session", handle}});
    EXPECT_EQ(listed["result"]["structuredContent"]["objects"][0]["name"], "through hub 1") << listed.dump();

    // Closing through hub 1 closes the seat where it is: gone from every hub's list.
    const auto closed = client.call("close_project", {{"session", handle}});
    ASSERT_TRUE(McpPeer::succeeded(closed)) << closed.dump();
    EXPECT_FALSE(has_tool(client.request("tools/list"), "scene__create_object"));
    const auto gone = client.call("scene__list_objects", {{"session", handle}});
    EXPECT_TRUE(gone["result"].value("isError", false)) << "a closed handle is gone: " << gone.dump();
    EXPECT_EQ(owner(project), 0) << "the tab's session goes on";

    // The notice hubs send each other needs the admin token (they share it) and names a user.
    const auto notice = [&](const std::string& bearer, const std::string& body) {
        return http_request(ports[0], "POST", "/api/cluster/mcp-tools-changed", {{"Authorization", "Bearer " + bearer}},
                            body)
            .status;
    };
    const std::string user = create_user_token(ports[0], token, "carol");
    EXPECT_EQ(notice(user, json{{"subject", "someone"}}.dump()), 403);
    EXPECT_EQ(notice(token, "{}"), 400);
    EXPECT_EQ(notice(token, "not json"), 400);
    EXPECT_EQ(notice(token, json{{"subject", "someone"}}.dump()), 204);
}

TEST_F(ClusterMcpTest, AStatelessSeatWhoseHubDiesIsCarriedOnByTheHubThatTakesItsProjectOver) {
    start_owned_project();
    StatelessPeer client(ports[1], token);
    const auto opened = client.call("open_project", {{"project_id", project}});
    ASSERT_TRUE(McpPeer::succeeded(opened)) << opened.dump();
    const std::string handle = opened["result"]["structuredContent"]["session"];
    ASSERT_TRUE(McpPeer::succeeded(client.call("scene__create_object", {{"name", "before"}, {"session", handle}})));

    tab.reset();
    ASSERT_TRUE(hubs[0]->stop(SIGKILL, 10s).has_value());
    // Hub 0 still counts as up until its announcement lapses: a tools/list asks it, is refused, and
    // answers with what it has.
    const auto listed_meanwhile = client.request("tools/list");
    EXPECT_TRUE(listed_meanwhile.is_object() && listed_meanwhile.contains("result"))
        << listed_meanwhile.dump() << " status " << client.status;
    // Until the dead hub's lease lapses its calls fail (503: the owner does not answer); then hub 1
    // carries the seat on under the same handle: it opens the project, which moves here.
    json after;
    EXPECT_TRUE(eventually(
        [&] {
            after = client.call("scene__create_object", {{"name", "after"}, {"session", handle}});
            return McpPeer::succeeded(after);
        },
        90s))
        << after.dump() << " status " << client.status << hubs[1]->log();
    EXPECT_EQ(owner(project), 1);
    const auto listed = client.call("scene__list_objects", {{"session", handle}});
    EXPECT_EQ(listed["result"]["structuredContent"]["objects"].size(), 2U)
        << "nothing acknowledged was lost: " << listed.dump();
    EXPECT_TRUE(has_tool(client.request("tools/list"), "scene__create_object"));
}

TEST_F(ClusterMcpTest, AnMcpSessionThroughHaproxyStaysWithTheHubThatInitializedIt) {
    start_owned_project(3);
    Haproxy proxy(ports);
    ASSERT_TRUE(proxy.ready);
    // No project in the URL: requests would go round robin, and two of three hubs do not know the
    // session; HAProxy's stick table sends them all to the hub that answered initialize.
    McpPeer client(proxy.port, token);
    ASSERT_TRUE(client.initialize());
    const auto opened = client.call("open_project", {{"project_id", project}});
    ASSERT_TRUE(McpPeer::succeeded(opened)) << opened.dump() << " status " << client.status;
    for (int n = 0; n < 6; ++n) {
        const auto made = client.call("scene__create_object", {{"name", "via haproxy " + std::to_string(n)}});
        ASSERT_TRUE(McpPeer::succeeded(made)) << n << ": " << made.dump() << " status " << client.status;
    }
    EXPECT_EQ(owner(project), 0);
}

// A stateless client needs no stickiness: each request stands alone, HAProxy spreads the ones
// without a project round robin, and every hub sends the calls on to the project's owner.
TEST_F(ClusterMcpTest, AStatelessClientThroughHaproxyWorksWhicheverHubEachRequestReaches) {
    start_owned_project(3);
    Haproxy proxy(ports);
    ASSERT_TRUE(proxy.ready);
    StatelessPeer client(proxy.port, token);
    const auto opened = client.call("open_project", {{"project_id", project}});
    ASSERT_TRUE(McpPeer::succeeded(opened)) << opened.dump() << " status " << client.status;
    const std::string handle = opened["result"]["structuredContent"]["session"];
    for (int n = 0; n < 6; ++n) {
        const auto made =
            client.call("scene__create_object", {{"name", "via haproxy " + std::to_string(n)}, {"session", handle}});
        ASSERT_TRUE(McpPeer::succeeded(made)) << n << ": " << made.dump() << " status " << client.status;
        EXPECT_TRUE(has_tool(client.request("tools/list"), "scene__create_object")) << n;
    }
    const auto listed = client.call("scene__list_objects", {{"session", handle}});
    EXPECT_EQ(listed["result"]["structuredContent"]["objects"].size(), 6U) << listed.dump();
    EXPECT_EQ(owner(project), 0);
}

} // namespace
} // namespace atelier::testing
