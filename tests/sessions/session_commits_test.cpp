// SPDX-License-Identifier: Apache-2.0
// The session layer's versions: commits against a base, conflicts kept aside, a restore racing a
// command, and the final save when the grace period ends. In-process engines, a manual clock.

#include <future>

#include <gtest/gtest.h>

#include "session_harness.h"

namespace atelier::sessions::testing {
namespace {

using Names = std::set<std::string>;

TEST(SessionCommits, ACommittedCommandTellsEveryClientWhoCausedIt) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto tab = hub.client();
    const auto mcp = hub.client(ClientInfo{ClientKind::Mcp, "claude-code", "2.1.0"});
    ASSERT_TRUE(hub.start_ready(tab, project));
    ASSERT_TRUE(hub.start_ready(mcp, project));

    const auto result = hub.create_object(mcp, "cube");
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->payload.value("ok", false)) << result->payload.dump();
    const std::string version = result->payload.value("version", "");
    EXPECT_EQ(version, hub.head(project));
    EXPECT_EQ(hub.objects_at(project), Names{"cube"});

    const auto activity = tab->wait_for("command:activity");
    ASSERT_TRUE(activity);
    EXPECT_EQ(activity->payload["by"].value("kind", ""), "mcp");
    EXPECT_EQ(activity->payload["by"].value("name", ""), "claude-code");
    const auto created = tab->wait_for("version:created");
    ASSERT_TRUE(created);
    EXPECT_EQ(created->payload.value("rev", ""), version);
    EXPECT_EQ(created->payload["by"].value("kind", ""), "mcp");
}

TEST(SessionCommits, ACommandOnAStaleBaseIsAConflictAndNothingIsLost) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto tab = hub.client();
    const auto other = hub.client();
    ASSERT_TRUE(hub.start_ready(tab, project));
    ASSERT_TRUE(hub.start_ready(other, project));
    const auto cube = hub.create_object(tab, "cube");
    ASSERT_TRUE(cube && cube->payload.value("ok", false));

    // Another writer (another hub, an upload the session was not told about) moves the project on.
    hub.commit_elsewhere(project, "notes.txt", "written elsewhere\n");
    const auto moved = hub.head(project);

    const auto cone = hub.create_object(tab, "cone");
    ASSERT_TRUE(cone);
    EXPECT_EQ(cone->payload.value("save_error_code", ""), "conflict") << cone->payload.dump();
    EXPECT_FALSE(cone->payload.contains("version"));

    // Never silent: every client is told, and the refused change is kept where it can be restored.
    const auto conflict = other->wait_for("version:conflict");
    ASSERT_TRUE(conflict);
    const std::string kept = conflict->payload.value("kept", "");
    ASSERT_FALSE(kept.empty()) << conflict->payload.dump();
    EXPECT_TRUE(tab->wait_for("version:conflict"));
    EXPECT_EQ(hub.objects_at(project, kept), (Names{"cube", "cone"}));
    // The other writer's version stands.
    EXPECT_EQ(hub.head(project), moved);
    EXPECT_EQ(hub.objects_at(project), Names{"cube"});
    // The engine reloads the current version.
    const auto engine = hub.launcher->engine(0);
    EXPECT_TRUE(engine->wait_until(
        [](const FakeEngine& it) { return it.received("project/open") >= 1 && it.objects() == Names{"cube"}; }));
}

TEST(SessionCommits, ARestoreRacingACommandAccountsForBoth) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto first_version = hub.head(project);
    const auto tab = hub.client();
    ASSERT_TRUE(hub.start_ready(tab, project));
    const auto cube = hub.create_object(tab, "cube");
    ASSERT_TRUE(cube && cube->payload.value("ok", false));
    const auto engine = hub.launcher->engine(0);

    // The command is in the engine when the restore lands.
    engine->hold_calls();
    const auto from = tab->received();
    hub.send_create_object(tab, "cone");
    ASSERT_TRUE(engine->wait_until([](const FakeEngine& it) { return it.held_calls() == 1; }));
    hub.restore(project, first_version);
    const auto restored = hub.head(project);
    engine->release_calls();

    const auto cone = tab->wait_for(
        "command:result", [](const SessionEvent& event) { return event.re == "create-cone"; }, from);
    ASSERT_TRUE(cone);
    EXPECT_EQ(cone->payload.value("save_error_code", ""), "conflict") << cone->payload.dump();
    // The restore is the current version; the command's whole scene (cube and cone) is kept aside.
    const auto conflict = tab->wait_for("version:conflict", {}, from);
    ASSERT_TRUE(conflict);
    EXPECT_EQ(hub.objects_at(project, conflict->payload.value("kept", "")), (Names{"cube", "cone"}));
    EXPECT_EQ(hub.head(project), restored);
    EXPECT_EQ(hub.objects_at(project), Names{});
    // And the engine holds the restored version.
    EXPECT_TRUE(engine->wait_until(
        [](const FakeEngine& it) { return it.received("project/open") >= 1 && it.objects().empty(); }));
}

TEST(SessionCommits, TheGracePeriodEndingAfterAnUncommittedChangeSavesAndCommitsIt) {
    SessionHarness hub;
    const auto project = hub.create_project();
    const auto tab = hub.client();
    ASSERT_TRUE(hub.start_ready(tab, project));
    const auto engine = hub.launcher->engine(0);

    // A change that is not committed yet, as an agent turn's tool calls are until the turn ends.
    const auto links = hub.directory->list();
    ASSERT_EQ(links.size(), 1U);
    std::promise<bool> called;
    links[0]->call("scene__create_object", {{"name", "torus"}},
                   [&called](Result<engines::ToolCallResult> result) { called.set_value(result.has_value()); });
    auto done = called.get_future();
    ASSERT_EQ(done.wait_for(kEventDeadline), std::future_status::ready);
    ASSERT_TRUE(done.get());
    const auto before = hub.head(project);
    EXPECT_EQ(hub.objects_at(project), Names{});

    hub.manager->detach(tab);
    hub.clock.advance(SessionHarness::kGrace);
    ASSERT_TRUE(engine->wait_until([](const FakeEngine& it) { return it.stopped(); }));

    EXPECT_NE(hub.head(project), before);
    EXPECT_EQ(hub.objects_at(project), Names{"torus"});
    const auto versions = hub.store->list_versions(hub.user_id, project, {});
    ASSERT_TRUE(versions.has_value());
    ASSERT_FALSE(versions->items.empty());
    EXPECT_EQ(versions->items.front().revision, hub.head(project));
    EXPECT_EQ(versions->items.front().message, "session end");
}

} // namespace
} // namespace atelier::sessions::testing
