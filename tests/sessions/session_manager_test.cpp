// SPDX-License-Identifier: Apache-2.0
// The session layer with in-process engines and a manual clock: joining, presence, the grace
// period and relaunching. Every wait is for an event; time moves only through the ManualClock.

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "session_harness.h"

namespace atelier::sessions::testing {
namespace {

using std::chrono::milliseconds;

std::string session_of(const std::optional<SessionEvent>& event) {
    return event ? event->payload.value("session_id", "") : std::string();
}

/// The kinds in the first `session:presence` from the `from`th event on that lists `count` clients.
std::multiset<std::string> presence_kinds(const FakeClient& client, std::size_t count, std::size_t from = 0) {
    const auto presence = client.wait_for(
        "session:presence", [&](const SessionEvent& event) { return event.payload["clients"].size() == count; }, from);
    std::multiset<std::string> kinds;
    if (presence) {
        for (const auto& entry : presence->payload["clients"]) {
            kinds.insert(entry.value("kind", ""));
        }
    }
    return kinds;
}

TEST(SessionManager, TwoTabsOnOneProjectShareOneSessionAndOneEngine) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto tab_a = hub.client();
    const auto tab_b = hub.client();

    const auto ready_a = hub.start_ready(tab_a, project);
    ASSERT_TRUE(ready_a);
    const auto ready_b = hub.start_ready(tab_b, project);
    ASSERT_TRUE(ready_b);

    EXPECT_EQ(session_of(ready_b), session_of(ready_a));
    EXPECT_TRUE(ready_b->payload.value("resumed", false));
    EXPECT_EQ(hub.launcher->launches(), 1);
}

TEST(SessionManager, ReopeningWithinTheGracePeriodRejoinsTheSameSession) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto first = hub.client();
    const auto ready = hub.start_ready(first, project);
    ASSERT_TRUE(ready);

    hub.manager->detach(first);
    hub.clock.advance(SessionHarness::kGrace - milliseconds(1));
    const auto second = hub.client();
    const auto rejoined = hub.start_ready(second, project);
    ASSERT_TRUE(rejoined);
    EXPECT_EQ(session_of(rejoined), session_of(ready));
    EXPECT_TRUE(rejoined->payload.value("resumed", false));

    // The grace period that began when the first tab left no longer ends the session.
    hub.clock.advance(SessionHarness::kGrace * 2);
    EXPECT_FALSE(hub.launcher->engine(0)->stopped());
    const auto sessions = hub.manager->list(hub.user_id)["items"];
    ASSERT_EQ(sessions.size(), 1U);
    EXPECT_EQ(sessions[0].value("state", ""), "ready");
    EXPECT_EQ(hub.launcher->launches(), 1);
}

TEST(SessionManager, AnMcpClientAndATabJoinOneSession) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto mcp = hub.client(ClientInfo{ClientKind::Mcp, "claude-code", "2.1.0"});
    const auto tab = hub.client();

    const auto from_mcp = hub.start_ready(mcp, project);
    ASSERT_TRUE(from_mcp);
    const auto from_tab = hub.start_ready(tab, project);
    ASSERT_TRUE(from_tab);

    EXPECT_EQ(session_of(from_tab), session_of(from_mcp));
    EXPECT_EQ(hub.launcher->launches(), 1);
    // The tab's session:ready names the MCP client by its clientInfo.
    bool named = false;
    for (const auto& entry : from_tab->payload["clients"]) {
        named = named || (entry.value("kind", "") == "mcp" && entry.value("name", "") == "claude-code" &&
                          entry.value("version", "") == "2.1.0");
    }
    EXPECT_TRUE(named) << from_tab->payload["clients"].dump();
}

TEST(SessionManager, TwentyConcurrentStartsOfOneProjectLaunchOneEngine) {
    SessionHarness hub;
    const auto project = hub.create_project();
    std::vector<std::shared_ptr<FakeClient>> clients;
    for (int i = 0; i < 20; ++i) {
        clients.push_back(hub.client(i % 2 == 0 ? ClientInfo{} : ClientInfo{ClientKind::Mcp, "cli", "1"}));
    }
    std::vector<std::thread> starters;
    for (const auto& client : clients) {
        starters.emplace_back([&hub, client, &project] { hub.start(client, project); });
    }
    for (auto& starter : starters) {
        starter.join();
    }
    std::set<std::string> sessions;
    for (const auto& client : clients) {
        const auto ready = client->wait_for("session:ready");
        ASSERT_TRUE(ready) << "client " << client->id() << " got no session:ready";
        sessions.insert(session_of(ready));
    }
    EXPECT_EQ(sessions.size(), 1U);
    EXPECT_EQ(hub.launcher->attempts(), 1);
}

TEST(SessionManager, PresenceListsEveryClient) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto tab_a = hub.client();
    const auto tab_b = hub.client();
    const auto mcp = hub.client(ClientInfo{ClientKind::Mcp, "claude-code", "2.1.0"});
    ASSERT_TRUE(hub.start_ready(tab_a, project));
    ASSERT_TRUE(hub.start_ready(tab_b, project));
    ASSERT_TRUE(hub.start_ready(mcp, project));

    // Every client hears of the third one.
    const std::multiset<std::string> expected{"mcp", "tab", "tab"};
    EXPECT_EQ(presence_kinds(*tab_a, 3), expected);
    EXPECT_EQ(presence_kinds(*tab_b, 3), expected);
    EXPECT_EQ(presence_kinds(*mcp, 3), expected);

    const auto from = tab_a->received();
    hub.manager->detach(tab_b);
    EXPECT_EQ(presence_kinds(*tab_a, 2, from), (std::multiset<std::string>{"mcp", "tab"}));
}

TEST(SessionManager, ADroppedClientReleasesTheEngineOnlyOnceTheGracePeriodIsOver) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto mcp = hub.client(ClientInfo{ClientKind::Mcp, "one-shot", "1"});
    const auto ready = hub.start_ready(mcp, project);
    ASSERT_TRUE(ready);
    const auto engine = hub.launcher->engine(0);

    hub.manager->detach(mcp);
    hub.clock.advance(SessionHarness::kGrace - milliseconds(1));
    EXPECT_FALSE(engine->stopped());
    hub.clock.advance(milliseconds(1));
    EXPECT_TRUE(engine->wait_until([](const FakeEngine& it) { return it.stopped(); }));
    EXPECT_EQ(engine->received("engine/shutdown"), 1);

    // Its next call re-attaches: a new session from the newest version.
    const auto again = hub.start_ready(mcp, project);
    ASSERT_TRUE(again);
    EXPECT_NE(session_of(again), session_of(ready));
    EXPECT_EQ(hub.launcher->launches(), 2);
}

TEST(SessionManager, ALostEngineIsRelaunchedAfterTheBackoffFromTheLastVersion) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto tab = hub.client();
    ASSERT_TRUE(hub.start_ready(tab, project));
    const auto made = hub.create_object(tab, "cube");
    ASSERT_TRUE(made && made->payload.value("ok", false)) << (made ? made->payload.dump() : "no result");

    const auto before_crash = tab->received();
    hub.launcher->engine(0)->crash();
    const auto reconnecting = tab->wait_for_state("reconnecting");
    ASSERT_TRUE(reconnecting);
    EXPECT_EQ(reconnecting->payload.value("attempt", 0), 1);
    // The relaunch waits for its backoff: nothing is launched until the clock gets there.
    ASSERT_TRUE(hub.clock.wait_for_pending(1, kEventDeadline));
    EXPECT_EQ(hub.launcher->attempts(), 1);
    hub.clock.advance(SessionHarness::kBackoffCap);

    const auto relaunched = hub.launcher->engine(1);
    ASSERT_TRUE(relaunched);
    EXPECT_TRUE(relaunched->wait_until([](const FakeEngine& it) { return it.objects().count("cube") == 1; }));
    EXPECT_TRUE(tab->wait_for("session:ready", {}, before_crash));
}

TEST(SessionManager, AnEngineThatKeepsFailingIsLostAfterTheLastAttempt) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto tab = hub.client();
    ASSERT_TRUE(hub.start_ready(tab, project));
    hub.launcher->fail_next(SessionHarness::kMaxAttempts);

    hub.launcher->engine(0)->crash();
    // Each failed launch is another attempt, each after its own backoff.
    for (int attempt = 1; attempt <= SessionHarness::kMaxAttempts; ++attempt) {
        ASSERT_TRUE(tab->wait_for("session:status",
                                  [&](const SessionEvent& event) {
                                      return event.payload.value("state", "") == "reconnecting" &&
                                             event.payload.value("attempt", 0) == attempt;
                                  }))
            << "attempt " << attempt;
        ASSERT_TRUE(hub.clock.wait_for_pending(1, kEventDeadline));
        EXPECT_EQ(hub.launcher->attempts(), attempt);
        hub.clock.advance(SessionHarness::kBackoffCap);
    }
    const auto lost = tab->wait_for_state("lost");
    ASSERT_TRUE(lost);
    EXPECT_NE(lost->payload.value("detail", "").find("told to fail"), std::string::npos) << lost->payload.dump();
    EXPECT_EQ(hub.launcher->launches(), 1);
}

} // namespace
} // namespace atelier::sessions::testing
