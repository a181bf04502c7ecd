// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub_process.h"
#include "rest_client.h"
#include "store/store.h"

namespace atelier::testing {
namespace {

CommandResult atelier(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
    args.insert(args.begin(), atelier_binary());
    return run_command(args, env);
}

TEST(AccountsCli, UserAddCreatesAMemberOnceAndRefusesADuplicate) {
    TempDir data;
    const auto added = atelier({"user", "add", "carol", "--data-dir", data.path().string()});
    EXPECT_EQ(added.exit_code, 0) << added.err;
    EXPECT_NE(added.out.find("carol"), std::string::npos);
    const auto again = atelier({"user", "add", "carol", "--data-dir", data.path().string()});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;

    // The hub's own admin is still the admin: the CLI never lets carol become the first user.
    auto store = store::open_sqlite_store(data.path());
    ASSERT_TRUE(store);
    const auto carol = (*store)->find_user_by_name("carol");
    ASSERT_TRUE(carol);
    EXPECT_EQ(carol->role, store::UserRole::Member);
    EXPECT_EQ((*store)->ensure_admin("x")->name, "admin");
}

TEST(AccountsCli, UserAddReadsAPasswordFromStdin) {
    TempDir data;
    const auto added = run_command(
        {"/bin/sh", "-c", "printf 'correct horse\\n' | \"$0\" user add dave --password-stdin --data-dir \"$1\"",
         atelier_binary(), data.path().string()});
    ASSERT_EQ(added.exit_code, 0) << added.err;
    auto store = store::open_sqlite_store(data.path());
    ASSERT_TRUE(store);
    EXPECT_TRUE((*store)->verify_password("dave", "correct horse"));
    EXPECT_FALSE((*store)->verify_password("dave", "wrong"));
}

TEST(AccountsCli, TokenCreatePrintsOnlyATokenThatTheHubAccepts) {
    TempDir data;
    // The data dir comes from the environment here, as it may for serve.
    const auto created = atelier({"token", "create", "--user", "erin", "--label", "laptop"},
                                 {{"ATELIER_DATA_DIR", data.path().string()}});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    const std::string token = created.out.substr(0, created.out.find('\n'));
    EXPECT_EQ(created.out, token + "\n");
    EXPECT_GT(token.size(), 32U);

    auto hub = HubProcess::start({.data_dir = data.path()});
    const std::string id = create_project(hub->port(), token, "erin's");
    EXPECT_EQ(rest(hub->port(), token, "GET", "/api/projects/" + id).status, 200);
    EXPECT_EQ(rest(hub->port(), hub->token(), "GET", "/api/projects/" + id).status, 404);
    EXPECT_EQ(rest(hub->port(), token, "POST", "/api/tokens", R"({"user":"x"})").status, 403);

    // A token made while the hub runs works at once.
    const auto live = atelier({"token", "create", "--user", "erin", "--data-dir", data.path().string()});
    ASSERT_EQ(live.exit_code, 0) << live.err;
    const std::string second = live.out.substr(0, live.out.find('\n'));
    EXPECT_EQ(rest(hub->port(), second, "GET", "/api/projects").body["items"].size(), 1U);
}

TEST(AccountsCli, TokenCreateNeedsAUser) {
    TempDir data;
    const auto result = atelier({"token", "create", "--data-dir", data.path().string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("--user"), std::string::npos) << result.err;
}

TEST(AccountsCli, ABadDatabaseUrlIsOneLineAndNonZero) {
    TempDir data;
    const auto result = atelier({"token", "create", "--user", "x", "--data-dir", data.path().string(), "--database",
                                 "postgres://nobody@/nowhere?host=/nonexistent-socket-dir"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

TEST(AccountsCli, ServeExitsWithOneLineWhenTheDatabaseCannotBeOpened) {
    TempDir data;
    const auto result = atelier({"serve", "--port", "0", "--data-dir", data.path().string(), "--database",
                                 "postgres://nobody@/nowhere?host=/nonexistent-socket-dir"});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find("cannot open"), std::string::npos) << result.err;
}

TEST(AdminToken, AReplacedTokenFileRetiresTheOldAdminToken) {
    TempDir data;
    std::string old_token;
    {
        auto hub = HubProcess::start({.data_dir = data.path()});
        old_token = hub->token();
        EXPECT_EQ(rest(hub->port(), old_token, "GET", "/api/projects").status, 200);
    }
    std::filesystem::remove(data.path() / "token");
    auto hub = HubProcess::start({.data_dir = data.path()});
    EXPECT_NE(hub->token(), old_token);
    EXPECT_EQ(rest(hub->port(), hub->token(), "GET", "/api/projects").status, 200);
    EXPECT_EQ(rest(hub->port(), old_token, "GET", "/api/projects").status, 401);
}

} // namespace
} // namespace atelier::testing
