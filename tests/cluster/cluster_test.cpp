// SPDX-License-Identifier: Apache-2.0
// Many hubs on one PostgreSQL, black box (docs/scaling.md): real hubs with the test engine, a
// real PostgreSQL server and a real HAProxy on loopback.

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include "cluster_fixture.h"
#include "fault_support.h"
#include "local_server.h"

namespace atelier::testing {
namespace {

/// session:start through `port` for `project`, again and again until a session is ready (a dead
/// owner's lease must lapse first; until then the attempt fails or its connection drops).
json start_eventually(std::uint16_t port, const std::string& project, const std::string& token,
                      std::unique_ptr<ClusterTab>& tab, const std::string& session_id = {}) {
    json ready;
    eventually(
        [&] {
            tab = std::make_unique<ClusterTab>(port, "/ws/browser?project=" + project, token);
            if (!tab->connected()) {
                return false;
            }
            ready = tab->start(project, session_id, 30s);
            return !ready.is_null();
        },
        90s);
    return ready;
}

TEST_F(ClusterTest, ThreeHubsBehindHaproxyServeEveryProjectOnceAndBringSessionsBackWhenOneIsKilled) {
    start_cluster(3);
    Haproxy proxy(ports);
    ASSERT_TRUE(proxy.ready);

    // Sessions on several projects, all opened through HAProxy.
    constexpr int kProjects = 6;
    std::vector<std::string> projects;
    std::vector<std::unique_ptr<ClusterTab>> tabs;
    std::map<std::string, std::string> session_of;
    for (int n = 0; n < kProjects; ++n) {
        projects.push_back(create_project(proxy.port, "p" + std::to_string(n)));
        tabs.push_back(std::make_unique<ClusterTab>(proxy.port, "/ws/browser?project=" + projects.back(), token));
        auto ready = tabs.back()->start(projects.back());
        ASSERT_FALSE(ready.is_null()) << tabs.back()->error.dump();
        session_of[projects.back()] = ready["session_id"];
    }
    std::map<int, std::vector<std::string>> by_owner;
    for (const auto& project : projects) {
        const int hub = owner(project);
        ASSERT_GE(hub, 0) << "no lease for " << project;
        by_owner[hub].push_back(project);
    }
    // Consistent hashing spreads six projects over more than one hub.
    EXPECT_GE(by_owner.size(), 2U);

    // Through a hub that does not own the project: the WebSocket is forwarded to the owner and
    // joins its session; REST is forwarded too.
    for (const auto& project : projects) {
        const int other = (owner(project) + 1) % 3;
        ClusterTab direct(ports[other], "/ws/browser?project=" + project, token);
        ASSERT_TRUE(direct.connected());
        auto joined = direct.start(project);
        ASSERT_FALSE(joined.is_null()) << direct.error.dump();
        EXPECT_EQ(joined["session_id"], session_of[project]);
        EXPECT_EQ(joined["resumed"], true);
        auto result = direct.command("scene__create_object", {{"name", "via-" + std::to_string(other)}});
        ASSERT_FALSE(result.is_null());
        EXPECT_FALSE(result.contains("error")) << result.dump();
        const auto versions = http_request(ports[other], "GET", "/api/projects/" + project + "/versions",
                                           {{"Authorization", "Bearer " + token}});
        EXPECT_EQ(versions.status, 200) << versions.body;
    }
    // Without the project in its URL a WebSocket is not forwarded: the non-owner refuses to start a
    // second session and names the owner.
    {
        const std::string& project = projects.front();
        const int other = (owner(project) + 1) % 3;
        ClusterTab plain(ports[other], "/ws/browser", token);
        ASSERT_TRUE(plain.connected());
        EXPECT_TRUE(plain.start(project).is_null());
        ASSERT_FALSE(plain.error.is_null());
        EXPECT_EQ(plain.error["payload"]["code"], "conflict") << plain.error.dump();
        EXPECT_EQ(plain.error["payload"]["details"]["hub_url"], hub_url(owner(project))) << plain.error.dump();
    }

    // kill -9 the hub that owns the most sessions.
    int victim = by_owner.begin()->first;
    for (const auto& [hub, owned] : by_owner) {
        if (owned.size() > by_owner[victim].size()) {
            victim = hub;
        }
    }
    ASSERT_TRUE(hubs[victim]->stop(SIGKILL, 10s).has_value());

    // Every session comes back: the tabs of the dead hub's projects reconnect through HAProxy and
    // get a new session on a live hub; the others' sessions never moved.
    for (const auto& project : projects) {
        std::unique_ptr<ClusterTab> tab;
        auto ready = start_eventually(proxy.port, project, token, tab, session_of[project]);
        ASSERT_FALSE(ready.is_null()) << "project " << project << " did not come back";
        const int now = owner(project);
        EXPECT_NE(now, victim);
        EXPECT_GE(now, 0);
        if (std::find(by_owner[victim].begin(), by_owner[victim].end(), project) != by_owner[victim].end()) {
            EXPECT_NE(ready["session_id"], session_of[project]);
        } else {
            EXPECT_EQ(ready["session_id"], session_of[project]);
        }
        auto result = tab->command("scene__create_object", {{"name", "after"}});
        ASSERT_FALSE(result.is_null());
        EXPECT_FALSE(result.contains("error")) << result.dump();
    }
}

TEST_F(ClusterTest, AHubKilledDuringCommitsLeavesAValidRepositoryThatAnotherHubTakesOver) {
    // 4 MB scene.blend at every save: each command's commit takes a while to write.
    start_cluster(2, ", \"--save-bytes\", \"4194304\"");
    const std::string project = create_project(ports[0], "kill during commits");
    ClusterTab tab(ports[0], "/ws/browser?project=" + project, token);
    ASSERT_FALSE(tab.start(project).is_null()) << tab.error.dump();
    ASSERT_EQ(owner(project), 0);

    std::vector<std::string> acknowledged;
    for (int n = 0; n < 3; ++n) {
        auto result = tab.command("scene__create_object", {{"name", "o" + std::to_string(n)}}, 120s);
        ASSERT_FALSE(result.is_null()) << hubs[0]->log();
        ASSERT_TRUE(result.contains("version")) << result.dump();
        acknowledged.push_back(result["version"]);
    }
    // One more command, and the owner dies while it saves and commits.
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "in-flight"}}}});
    ASSERT_TRUE(hubs[0]->stop(SIGKILL, 10s).has_value());

    const auto check = fsck(shared.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

    // The next start on the other hub takes the project over once the lease lapsed.
    std::unique_ptr<ClusterTab> second;
    auto ready = start_eventually(ports[1], project, token, second);
    ASSERT_FALSE(ready.is_null()) << hubs[1]->log();
    EXPECT_EQ(owner(project), 1);
    const auto listed = listed_versions(ports[1], token, project);
    for (const auto& rev : acknowledged) {
        EXPECT_TRUE(listed.contains(rev)) << "acknowledged version " << rev << " is missing after kill -9";
    }
    // And it commits: no lock file of the dead hub is left in the way.
    auto result = second->command("scene__create_object", {{"name", "after takeover"}}, 120s);
    ASSERT_FALSE(result.is_null());
    EXPECT_TRUE(result.contains("version")) << result.dump() << hubs[1]->log();
    const auto after = fsck(shared.path(), project);
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
}

/// The names GET /api/projects/<id>/renders lists through `port`.
std::set<std::string> render_names(std::uint16_t port, const std::string& token, const std::string& project) {
    const auto listed =
        http_request(port, "GET", "/api/projects/" + project + "/renders", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(listed.status, 200) << listed.body;
    std::set<std::string> names;
    for (const auto& item : json::parse(listed.body, nullptr, false).value("renders", json::array())) {
        names.insert(item.value("name", ""));
    }
    return names;
}

TEST_F(ClusterTest, RendersWrittenOnOneHubAreListedAndDownloadedThroughAnother) {
    start_cluster(2);
    const std::string project = create_project(ports[0], "renders");
    ClusterTab tab(ports[0], "/ws/browser?project=" + project, token);
    const auto ready = tab.start(project);
    ASSERT_FALSE(ready.is_null()) << tab.error.dump();
    ASSERT_EQ(owner(project), 0);
    // A render the owner's engine wrote into its working tree (the test engine renders nothing
    // itself), and one an earlier session left in the shared renders dir.
    const auto live = hubs[0]->data_dir() / "sessions" / ready["session_id"].get<std::string>() / "work" / "renders";
    std::filesystem::create_directories(live);
    std::ofstream(live / "live.png") << "live frame";
    const auto kept = shared.path() / "renders" / project;
    std::filesystem::create_directories(kept);
    std::ofstream(kept / "kept.png") << "kept frame";

    // While the session lives on hub 0, hub 1 forwards: both are listed and served.
    EXPECT_EQ(render_names(ports[1], token, project), (std::set<std::string>{"live.png", "kept.png"}));
    const auto download = [&](const std::string& name) {
        return http_request(ports[1], "GET", "/api/projects/" + project + "/renders/" + name,
                            {{"Authorization", "Bearer " + token}});
    };
    EXPECT_EQ(download("live.png").body, "live frame");

    // Hub 0 stops: its session ends and keeps its renders in the shared dir, where hub 1 finds them.
    tab.client().close();
    ASSERT_EQ(hubs[0]->stop(SIGTERM, 30s), 0) << hubs[0]->log();
    EXPECT_EQ(owner(project), -1);
    EXPECT_EQ(render_names(ports[1], token, project), (std::set<std::string>{"live.png", "kept.png"}));
    const auto after = download("live.png");
    EXPECT_EQ(after.status, 200);
    EXPECT_EQ(after.body, "live frame");
    EXPECT_EQ(download("kept.png").body, "kept frame");
}

TEST_F(ClusterTest, AVersionsPictureMadeOnOneHubIsServedByAnotherOnceThatHubIsGone) {
    start_cluster(2);
    const std::string project = create_project(ports[0], "pictures");
    ClusterTab tab(ports[0], "/ws/browser?project=" + project, token);
    ASSERT_FALSE(tab.start(project).is_null()) << tab.error.dump();
    const auto made = tab.command("scene__create_object", {{"name", "cube"}});
    ASSERT_TRUE(made.is_object() && made.contains("version")) << made.dump();
    const std::string picture =
        "/api/projects/" + project + "/versions/" + made["version"].get<std::string>() + "/thumbnail";
    const auto on_owner = http_request(ports[0], "GET", picture, {{"Authorization", "Bearer " + token}});
    ASSERT_EQ(on_owner.status, 200) << on_owner.body;

    // The pictures live beside the renders, which the hubs share: hub 1 serves it with hub 0 gone.
    tab.client().close();
    ASSERT_EQ(hubs[0]->stop(SIGTERM, 30s), 0) << hubs[0]->log();
    const auto on_other = http_request(ports[1], "GET", picture, {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(on_other.status, 200) << on_other.body;
    EXPECT_EQ(on_other.body, on_owner.body);
}

TEST_F(ClusterTest, APreviewRequestedThroughANonOwnerHubReachesTheOwnersPreviewServer) {
    // The preview server stand-in answers with the target it received.
    net::Router routes;
    routes.add("GET", "/preview/{rest*}", net::Access::Public, [](net::HttpRequest& request) {
        return net::HttpResponse::json(200, json{{"target", request.target}}.dump());
    });
    LocalServer upstream(std::move(routes), nobody);
    start_cluster(2, ", \"--preview-port\", \"" + std::to_string(upstream.port()) + "\"");
    const std::string project = create_project(ports[0], "preview");
    ClusterTab tab(ports[0], "/ws/browser?project=" + project, token);
    auto ready = tab.start(project);
    ASSERT_FALSE(ready.is_null()) << tab.error.dump();
    ASSERT_TRUE(ready.contains("preview")) << ready.dump();
    ASSERT_TRUE(tab.next({"preview:ready"}).is_object());
    const std::string path = ready["preview"].get<std::string>() + "index.html";
    const auto direct = http_request(ports[0], "GET", path, {{"Authorization", "Bearer " + token}});
    ASSERT_EQ(direct.status, 200) << direct.body;
    const auto forwarded = http_request(ports[1], "GET", path, {{"Authorization", "Bearer " + token}});
    ASSERT_EQ(forwarded.status, 200) << forwarded.body;
    EXPECT_EQ(json::parse(forwarded.body)["target"], path);
    // An unknown session is nobody's: answered by the hub that received it.
    EXPECT_EQ(http_request(ports[1], "GET", "/preview/no-such-session/", {{"Authorization", "Bearer " + token}}).status,
              404);
}

} // namespace
} // namespace atelier::testing
