// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "store/migrations.h"
#include "store_contract.h"

namespace atelier::store::testing {
namespace {

std::int64_t count_rows(Database& database, const std::string& table, const std::string& project_id) {
    const std::vector<SqlValue> params{project_id};
    auto rows = database.query("SELECT COUNT(*) FROM " + table + " WHERE project_id = ?", params);
    return rows && !rows->empty() ? rows->front().integer(0) : -1;
}

} // namespace

void StoreContract::SetUp() {
    auto backend = GetParam().make();
    ASSERT_TRUE(backend) << backend.error().message;
    m_backend = std::move(*backend);
    auto store = m_backend->open();
    ASSERT_TRUE(store) << store.error().message;
    m_store = std::move(*store);
}

void StoreContract::TearDown() {
    m_store.reset();
    m_backend.reset();
}

User StoreContract::make_user(const std::string& name) {
    auto user = m_store->create_user(NewUser{name, std::nullopt, UserRole::Member});
    EXPECT_TRUE(user) << user.error().message;
    return user.value_or(User{});
}

Project StoreContract::make_project(const User& owner, const std::string& name) {
    auto project = m_store->create_project(owner.id, NewProject{name, "blender"});
    EXPECT_TRUE(project) << project.error().message;
    return project.value_or(Project{});
}

// Schema ------------------------------------------------------------------------------------

TEST_P(StoreContract, MigratesAFreshDatabaseToTheNewestVersion) {
    auto version = m_store->schema_version();
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, builtin_migrations().back().version);
    EXPECT_EQ(m_store->backend_name(), GetParam().name == "Sqlite" ? "sqlite" : "postgres");
}

TEST_P(StoreContract, ReopeningKeepsEverythingAndMigratesNothingTwice) {
    const User alice = make_user("alice");
    const Project project = make_project(alice);
    m_store.reset();
    auto reopened = m_backend->open();
    ASSERT_TRUE(reopened) << reopened.error().message;
    auto loaded = (*reopened)->get_project(alice.id, project.id);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->name, "island");
}

TEST_P(StoreContract, RefusesADatabaseWhoseSchemaIsNewerThanItKnows) {
    m_store.reset();
    auto database = m_backend->open_database();
    ASSERT_TRUE(database) << database.error().message;
    std::vector<Migration> future(builtin_migrations().begin(), builtin_migrations().end());
    const int newer = future.back().version + 1;
    future.push_back(Migration{newer, "from the future", "CREATE TABLE from_the_future (x INTEGER)"});
    auto migrated = run_migrations(**database, future);
    ASSERT_TRUE(migrated) << migrated.error().message;
    EXPECT_EQ(*migrated, newer);

    auto refused = m_backend->open();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidConfig);
    EXPECT_NE(refused.error().message.find("newer"), std::string::npos) << refused.error().message;
}

// Users and tokens --------------------------------------------------------------------------

TEST_P(StoreContract, FirstUserIsAdminAndLaterUsersAreMembers) {
    const User first = make_user("first");
    const User second = make_user("second");
    EXPECT_EQ(first.role, UserRole::Admin);
    EXPECT_EQ(second.role, UserRole::Member);
    auto listed = m_store->list_users();
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), 2u);
}

TEST_P(StoreContract, EnsureAdminCreatesTheAdminOnceThenReturnsIt) {
    auto created = m_store->ensure_admin("admin");
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->role, UserRole::Admin);
    auto again = m_store->ensure_admin("someone-else");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, created->id);
}

TEST_P(StoreContract, DuplicateUserNameIsAConflict) {
    make_user("alice");
    auto duplicate = m_store->create_user(NewUser{"alice", std::nullopt, UserRole::Member});
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().code, ErrorCode::Conflict);
}

TEST_P(StoreContract, PasswordIsStoredAsArgon2idAndVerified) {
    auto user = m_store->create_user(NewUser{"alice", std::string("correct horse"), UserRole::Member});
    ASSERT_TRUE(user) << user.error().message;
    auto verified = m_store->verify_password("alice", "correct horse");
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_EQ(verified->id, user->id);

    EXPECT_EQ(m_store->verify_password("alice", "wrong").error().code, ErrorCode::Unauthorized);
    EXPECT_EQ(m_store->verify_password("nobody", "correct horse").error().code, ErrorCode::Unauthorized);

    auto database = m_backend->open_database();
    ASSERT_TRUE(database);
    auto rows = (*database)->query("SELECT password_hash FROM users", {});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_TRUE(rows->front().text(0).starts_with("$argon2id$")) << rows->front().text(0);
}

TEST_P(StoreContract, UserWithoutPasswordCannotLogInWithOne) {
    make_user("alice");
    EXPECT_EQ(m_store->verify_password("alice", "").error().code, ErrorCode::Unauthorized);
}

TEST_P(StoreContract, TokenAuthenticatesItsUserAndIsStoredOnlyAsAHash) {
    const User alice = make_user("alice");
    auto created = m_store->create_token(alice.id, "laptop");
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_TRUE(created->secret.starts_with("atl_"));
    auto found = m_store->find_user_by_token(created->secret);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->id, alice.id);

    auto database = m_backend->open_database();
    ASSERT_TRUE(database);
    auto rows = (*database)->query("SELECT id, user_id, label, token_hash FROM api_tokens", {});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    for (const auto& column : rows->front().columns) {
        EXPECT_EQ(column.value_or("").find(created->secret.substr(4)), std::string::npos);
    }
    EXPECT_EQ(rows->front().text(3).size(), 64u); // BLAKE2b-256 as hex
}

TEST_P(StoreContract, UnknownAndRevokedTokensAreUnauthorized) {
    const User alice = make_user("alice");
    auto created = m_store->create_token(alice.id, "");
    ASSERT_TRUE(created);
    EXPECT_EQ(m_store->find_user_by_token("atl_0000000000000000").error().code, ErrorCode::Unauthorized);
    ASSERT_TRUE(m_store->revoke_token(alice.id, created->token.id));
    EXPECT_EQ(m_store->find_user_by_token(created->secret).error().code, ErrorCode::Unauthorized);
    EXPECT_EQ(m_store->revoke_token(alice.id, created->token.id).error().code, ErrorCode::NotFound);
}

TEST_P(StoreContract, OnlyTheOwnerCanRevokeAToken) {
    const User alice = make_user("alice");
    const User bob = make_user("bob");
    auto created = m_store->create_token(alice.id, "");
    ASSERT_TRUE(created);
    EXPECT_EQ(m_store->revoke_token(bob.id, created->token.id).error().code, ErrorCode::NotFound);
    EXPECT_TRUE(m_store->find_user_by_token(created->secret));
}

TEST_P(StoreContract, RegisteredSecretAuthenticatesAndRegisteringTwiceIsIdempotent) {
    const User admin = make_user("admin");
    const User bob = make_user("bob");
    const std::string secret = "0123456789abcdef0123456789abcdef";
    auto first = m_store->register_token(admin.id, "data dir token", secret);
    ASSERT_TRUE(first) << first.error().message;
    auto second = m_store->register_token(admin.id, "data dir token", secret);
    ASSERT_TRUE(second);
    EXPECT_EQ(first->id, second->id);
    EXPECT_EQ(m_store->register_token(bob.id, "steal", secret).error().code, ErrorCode::Conflict);
    EXPECT_EQ(m_store->find_user_by_token(secret)->id, admin.id);
}

// Projects ----------------------------------------------------------------------------------

TEST_P(StoreContract, ProjectsCanBeCreatedReadUpdatedAndDeleted) {
    const User alice = make_user("alice");
    const Project created = make_project(alice, "island");
    EXPECT_EQ(created.owner_id, alice.id);
    EXPECT_EQ(created.kind, "blender");
    EXPECT_TRUE(created.current_version.empty());
    EXPECT_GT(created.created_at, 0);

    auto renamed = m_store->update_project(alice.id, created.id, ProjectUpdate{std::string("atoll"), std::nullopt});
    ASSERT_TRUE(renamed) << renamed.error().message;
    EXPECT_EQ(renamed->name, "atoll");
    EXPECT_EQ(m_store->get_project(alice.id, created.id)->name, "atoll");

    ASSERT_TRUE(m_store->delete_project(alice.id, created.id));
    EXPECT_EQ(m_store->get_project(alice.id, created.id).error().code, ErrorCode::NotFound);
    EXPECT_EQ(m_store->delete_project(alice.id, created.id).error().code, ErrorCode::NotFound);
}

TEST_P(StoreContract, InvalidProjectFieldsAreRejectedNamingTheField) {
    const User alice = make_user("alice");
    auto empty = m_store->create_project(alice.id, NewProject{"", "blender"});
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(empty.error().message.starts_with("name")) << empty.error().message;
    auto long_name = m_store->create_project(alice.id, NewProject{std::string(201, 'x'), "blender"});
    ASSERT_FALSE(long_name);
    EXPECT_EQ(long_name.error().code, ErrorCode::InvalidArgument);
    auto no_kind = m_store->create_project(alice.id, NewProject{"ok", ""});
    ASSERT_FALSE(no_kind);
    EXPECT_TRUE(no_kind.error().message.starts_with("kind"));
}

TEST_P(StoreContract, AnotherUsersProjectBehavesExactlyLikeAMissingOne) {
    const User alice = make_user("alice");
    const User bob = make_user("bob");
    const Project project = make_project(alice);
    ASSERT_TRUE(m_store->add_message(alice.id, project.id, NewMessage{"user", "hello", "[]"}));
    ASSERT_TRUE(m_store->add_version(alice.id, project.id, NewVersion{"aaaa", "first", "alice"}));

    const auto not_found = [](const auto& result) { return !result && result.error().code == ErrorCode::NotFound; };
    EXPECT_TRUE(not_found(m_store->get_project(bob.id, project.id)));
    EXPECT_TRUE(not_found(m_store->update_project(bob.id, project.id, ProjectUpdate{std::string("x"), {}})));
    EXPECT_TRUE(not_found(m_store->delete_project(bob.id, project.id)));
    EXPECT_TRUE(not_found(m_store->list_messages(bob.id, project.id, {})));
    EXPECT_TRUE(not_found(m_store->add_message(bob.id, project.id, NewMessage{"user", "hi", "[]"})));
    EXPECT_TRUE(not_found(m_store->list_versions(bob.id, project.id, {})));
    EXPECT_TRUE(not_found(m_store->get_version(bob.id, project.id, "aaaa")));
    EXPECT_TRUE(not_found(m_store->add_version(bob.id, project.id, NewVersion{"bbbb", "", ""})));
    EXPECT_TRUE(not_found(m_store->load_transcript(bob.id, project.id)));
    EXPECT_TRUE(not_found(m_store->save_transcript(bob.id, project.id, "[]")));
    EXPECT_TRUE(not_found(m_store->create_session(bob.id, NewSession{"", project.id, "starting", "blender"})));
    // The messages a missing project gives and the ones another user's project gives are equal.
    EXPECT_EQ(m_store->get_project(bob.id, project.id).error().message,
              m_store->get_project(bob.id, "no-such-project").error().message);

    auto bobs = m_store->list_projects(bob.id, {});
    ASSERT_TRUE(bobs);
    EXPECT_TRUE(bobs->items.empty());
    auto still_there = m_store->get_project(alice.id, project.id);
    ASSERT_TRUE(still_there);
    EXPECT_EQ(still_there->name, "island");
    EXPECT_EQ(m_store->list_messages(alice.id, project.id, {})->items.size(), 1u);
}

TEST_P(StoreContract, ProjectListPagesNewestFirstWithoutGapsOrRepeats) {
    const User alice = make_user("alice");
    const User bob = make_user("bob");
    std::vector<std::string> created;
    for (int i = 0; i < 7; ++i) {
        created.push_back(make_project(alice, "p" + std::to_string(i)).id);
    }
    make_project(bob, "not alice's");
    std::vector<Project> seen;
    PageRequest request{3, ""};
    std::vector<std::size_t> sizes;
    for (int pages = 0; pages < 10; ++pages) {
        auto page = m_store->list_projects(alice.id, request);
        ASSERT_TRUE(page) << page.error().message;
        sizes.push_back(page->items.size());
        seen.insert(seen.end(), page->items.begin(), page->items.end());
        if (page->next_cursor.empty()) {
            break;
        }
        request.cursor = page->next_cursor;
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1}));
    ASSERT_EQ(seen.size(), 7u);
    std::set<std::string> ids;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        ids.insert(seen[i].id);
        if (i > 0) {
            EXPECT_GE(seen[i - 1].created_at, seen[i].created_at);
        }
    }
    EXPECT_EQ(ids, std::set<std::string>(created.begin(), created.end()));
}

TEST_P(StoreContract, BadCursorsAndLimitsAreInvalidArguments) {
    const User alice = make_user("alice");
    const Project project = make_project(alice);
    EXPECT_EQ(m_store->list_projects(alice.id, PageRequest{0, "zz"}).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(m_store->list_projects(alice.id, PageRequest{-1, ""}).error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(m_store->list_projects(alice.id, PageRequest{kMaxPageLimit + 1, ""}).error().code,
              ErrorCode::InvalidArgument);
    EXPECT_EQ(m_store->list_messages(alice.id, project.id, PageRequest{0, "7431"}).error().code,
              ErrorCode::InvalidArgument);
    auto limit = m_store->list_projects(alice.id, PageRequest{-1, ""});
    EXPECT_TRUE(limit.error().message.starts_with("limit"));
}

// Messages, transcripts, sessions, versions ------------------------------------------------

TEST_P(StoreContract, MessagesComeBackInOrderWithTheirToolActions) {
    const User alice = make_user("alice");
    const Project project = make_project(alice);
    const std::string actions = R"([{"tool":"scene_basics__add_primitive","arguments":{"shape":"cube"}}])";
    for (int i = 0; i < 5; ++i) {
        auto added = m_store->add_message(
            alice.id, project.id,
            NewMessage{i % 2 == 0 ? "user" : "assistant", "møøse " + std::to_string(i), i == 1 ? actions : "[]"});
        ASSERT_TRUE(added) << added.error().message;
    }
    auto first = m_store->list_messages(alice.id, project.id, PageRequest{3, ""});
    ASSERT_TRUE(first);
    ASSERT_EQ(first->items.size(), 3u);
    EXPECT_EQ(first->items[0].content, "møøse 0");
    EXPECT_EQ(first->items[1].role, "assistant");
    EXPECT_EQ(first->items[1].tool_actions, actions);
    ASSERT_FALSE(first->next_cursor.empty());
    auto second = m_store->list_messages(alice.id, project.id, PageRequest{3, first->next_cursor});
    ASSERT_TRUE(second);
    ASSERT_EQ(second->items.size(), 2u);
    EXPECT_EQ(second->items[1].content, "møøse 4");
    EXPECT_TRUE(second->next_cursor.empty());
}

TEST_P(StoreContract, TranscriptStartsEmptyAndIsReplacedOnSave) {
    const User alice = make_user("alice");
    const Project project = make_project(alice);
    auto empty = m_store->load_transcript(alice.id, project.id);
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->turns, "[]");
    ASSERT_TRUE(m_store->save_transcript(alice.id, project.id, R"([{"role":"user","text":"a"}])"));
    ASSERT_TRUE(m_store->save_transcript(alice.id, project.id, R"([{"role":"user","text":"b"}])"));
    auto loaded = m_store->load_transcript(alice.id, project.id);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->turns, R"([{"role":"user","text":"b"}])");
    EXPECT_GT(loaded->updated_at, 0);
}

TEST_P(StoreContract, SessionsAreRecordedUpdatedAndListedForTheirOwnerOnly) {
    const User alice = make_user("alice");
    const User bob = make_user("bob");
    const Project project = make_project(alice);
    auto created = m_store->create_session(alice.id, NewSession{"", project.id, "starting", "blender"});
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_FALSE(created->id.empty());
    auto chosen = m_store->create_session(alice.id, NewSession{"s-1", project.id, "starting", "blender"});
    ASSERT_TRUE(chosen);
    EXPECT_EQ(m_store->create_session(alice.id, NewSession{"s-1", project.id, "starting", "blender"}).error().code,
              ErrorCode::Conflict);

    auto updated = m_store->update_session(alice.id, "s-1", SessionUpdate{std::string("ready"), std::nullopt});
    ASSERT_TRUE(updated);
    EXPECT_EQ(updated->state, "ready");
    EXPECT_EQ(m_store->get_session(alice.id, "s-1")->state, "ready");
    EXPECT_EQ(m_store->get_session(bob.id, "s-1").error().code, ErrorCode::NotFound);
    EXPECT_EQ(m_store->update_session(bob.id, "s-1", SessionUpdate{std::string("ended"), {}}).error().code,
              ErrorCode::NotFound);

    auto listed = m_store->list_sessions(alice.id, PageRequest{1, ""});
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->items.size(), 1u);
    auto rest = m_store->list_sessions(alice.id, PageRequest{1, listed->next_cursor});
    ASSERT_TRUE(rest);
    ASSERT_EQ(rest->items.size(), 1u);
    EXPECT_NE(rest->items[0].id, listed->items[0].id);
    EXPECT_TRUE(m_store->list_sessions(bob.id, {})->items.empty());
}

TEST_P(StoreContract, AddingAVersionMakesItTheProjectsCurrentVersion) {
    const User alice = make_user("alice");
    const Project project = make_project(alice);
    ASSERT_TRUE(m_store->add_version(alice.id, project.id, NewVersion{"rev1", "first", "alice"}));
    auto second = m_store->add_version(alice.id, project.id, NewVersion{"rev2", "add a cube", "alice"});
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(m_store->get_project(alice.id, project.id)->current_version, "rev2");
    EXPECT_EQ(m_store->add_version(alice.id, project.id, NewVersion{"rev1", "again", "alice"}).error().code,
              ErrorCode::Conflict);
    // The failed insert rolled back its current_version change too.
    EXPECT_EQ(m_store->get_project(alice.id, project.id)->current_version, "rev2");

    auto listed = m_store->list_versions(alice.id, project.id, PageRequest{1, ""});
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->items.size(), 1u);
    EXPECT_EQ(listed->items[0].revision, "rev2");
    auto older = m_store->list_versions(alice.id, project.id, PageRequest{1, listed->next_cursor});
    ASSERT_TRUE(older);
    ASSERT_EQ(older->items.size(), 1u);
    EXPECT_EQ(older->items[0].revision, "rev1");
    EXPECT_TRUE(older->next_cursor.empty());
    EXPECT_EQ(m_store->get_version(alice.id, project.id, "rev2")->message, "add a cube");
    EXPECT_EQ(m_store->get_version(alice.id, project.id, "nope").error().code, ErrorCode::NotFound);
}

TEST_P(StoreContract, AVersionNamingAStaleBaseIsAConflictAndChangesNothing) {
    const User alice = make_user("alice");
    const Project project = make_project(alice);
    ASSERT_TRUE(m_store->add_version(alice.id, project.id, NewVersion{"rev1", "first", "alice"}));
    ASSERT_TRUE(m_store->add_version(alice.id, project.id, NewVersion{"rev2", "second", "alice", "rev1"}));
    // Another writer made rev3 on rev1 too: the current version moved on, so it is refused.
    auto stale = m_store->add_version(alice.id, project.id, NewVersion{"rev3", "stale", "alice", "rev1"});
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, ErrorCode::Conflict);
    EXPECT_EQ(m_store->get_project(alice.id, project.id)->current_version, "rev2");
    EXPECT_EQ(m_store->get_version(alice.id, project.id, "rev3").error().code, ErrorCode::NotFound);
    // Another user's project stays "not found", base or not.
    const User bob = make_user("bob");
    const auto refused = m_store->add_version(bob.id, project.id, NewVersion{"rev4", "", "", "rev2"});
    EXPECT_EQ(refused.error().code, ErrorCode::NotFound);
}

TEST_P(StoreContract, DeletingAProjectDeletesItsMessagesTranscriptVersionsAndSessions) {
    const User alice = make_user("alice");
    const Project doomed = make_project(alice, "doomed");
    const Project kept = make_project(alice, "kept");
    for (const Project* project : {&doomed, &kept}) {
        ASSERT_TRUE(m_store->add_message(alice.id, project->id, NewMessage{"user", "hi", "[]"}));
        ASSERT_TRUE(m_store->save_transcript(alice.id, project->id, "[1]"));
        ASSERT_TRUE(m_store->add_version(alice.id, project->id, NewVersion{"r", "m", "a"}));
        ASSERT_TRUE(m_store->create_session(alice.id, NewSession{"", project->id, "ready", "blender"}));
    }
    ASSERT_TRUE(m_store->delete_project(alice.id, doomed.id));
    auto database = m_backend->open_database();
    ASSERT_TRUE(database);
    for (const std::string table : {"messages", "transcripts", "versions", "sessions"}) {
        EXPECT_EQ(count_rows(**database, table, doomed.id), 0) << table;
        EXPECT_EQ(count_rows(**database, table, kept.id), 1) << table;
    }
}

TEST_P(StoreContract, SeveralThreadsCanWriteAtOnce) {
    const User alice = make_user("alice");
    const Project project = make_project(alice);
    constexpr int kThreads = 4;
    constexpr int kEach = 25;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const std::string text = std::to_string(t) + ":" + std::to_string(i);
                if (!m_store->add_message(alice.id, project.id, NewMessage{"user", text, "[]"})) {
                    ++failures;
                }
                if (!m_store->get_project(alice.id, project.id)) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(failures.load(), 0);
    auto listed = m_store->list_messages(alice.id, project.id, PageRequest{kMaxPageLimit, ""});
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->items.size(), static_cast<std::size_t>(kThreads * kEach));
}

} // namespace atelier::store::testing
