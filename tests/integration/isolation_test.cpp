// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"
#include "rest_client.h"

namespace atelier::testing {
namespace {

/// Alice owns a project; Bob (a second user with his own token) must not be able to tell it
/// exists: every route answers exactly what it answers for an id that was never created.
class IsolationTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        hub = HubProcess::start().release();
        alice = new std::string(create_user_token(hub->port(), hub->token(), "alice"));
        bob = new std::string(create_user_token(hub->port(), hub->token(), "bob"));
        project = new std::string(create_project(hub->port(), *alice, "alice's secret"));
        revision = new std::string(
            rest(hub->port(), *alice, "GET", "/api/projects/" + *project).body["current_version"].get<std::string>());
    }
    static void TearDownTestSuite() {
        delete hub;
        delete alice;
        delete bob;
        delete project;
        delete revision;
    }

    /// Bob's request for Alice's project gets the same 404 as a request for a missing project.
    static void expect_hidden(const std::string& method, const std::string& suffix, const std::string& body = {}) {
        const std::string missing = "00000000-0000-0000-0000-000000000000";
        const auto theirs = rest(hub->port(), *bob, method, "/api/projects/" + *project + suffix, body);
        const auto absent = rest(hub->port(), *bob, method, "/api/projects/" + missing + suffix, body);
        EXPECT_EQ(theirs.status, 404) << method << " " << suffix << " → " << theirs.raw;
        EXPECT_EQ(theirs.raw, absent.raw) << method << " " << suffix;
    }

    static HubProcess* hub;
    static std::string* alice;
    static std::string* bob;
    static std::string* project;
    static std::string* revision;
};
HubProcess* IsolationTest::hub = nullptr;
std::string* IsolationTest::alice = nullptr;
std::string* IsolationTest::bob = nullptr;
std::string* IsolationTest::project = nullptr;
std::string* IsolationTest::revision = nullptr;

TEST_F(IsolationTest, ListShowsOnlyTheCallersProjects) {
    const std::string own = create_project(hub->port(), *bob, "bob's");
    const auto listed = rest(hub->port(), *bob, "GET", "/api/projects");
    ASSERT_EQ(listed.body["items"].size(), 1U) << listed.raw;
    EXPECT_EQ(listed.body["items"][0]["id"], own);
    const auto admin_list = rest(hub->port(), hub->token(), "GET", "/api/projects");
    EXPECT_TRUE(admin_list.body["items"].empty()) << "the admin is a user like any other";
}

TEST_F(IsolationTest, GetRefusesAnotherUsersProject) {
    expect_hidden("GET", "");
}

TEST_F(IsolationTest, PatchRefusesAnotherUsersProjectAndChangesNothing) {
    expect_hidden("PATCH", "", R"({"name":"mine now"})");
    EXPECT_EQ(rest(hub->port(), *alice, "GET", "/api/projects/" + *project).body["name"], "alice's secret");
}

TEST_F(IsolationTest, DeleteRefusesAnotherUsersProjectAndKeepsIt) {
    expect_hidden("DELETE", "");
    EXPECT_EQ(rest(hub->port(), *alice, "GET", "/api/projects/" + *project).status, 200);
}

TEST_F(IsolationTest, MessagesRefuseAnotherUsersProject) {
    expect_hidden("GET", "/messages");
}

TEST_F(IsolationTest, VersionsRefuseAnotherUsersProject) {
    expect_hidden("GET", "/versions");
}

TEST_F(IsolationTest, RestoreRefusesAnotherUsersProject) {
    expect_hidden("POST", "/versions/" + *revision + "/restore");
    EXPECT_EQ(rest(hub->port(), *alice, "GET", "/api/projects/" + *project + "/versions").body["items"].size(), 1U);
}

TEST_F(IsolationTest, FilesRefuseAnotherUsersProject) {
    expect_hidden("GET", "/files/scene.blend");
    expect_hidden("GET", "/files/scene.blend?rev=" + *revision);
}

TEST_F(IsolationTest, OnlyTheAdminCreatesTokens) {
    const auto reply = rest(hub->port(), *bob, "POST", "/api/tokens", R"({"user":"mallory"})");
    EXPECT_EQ(reply.status, 403) << reply.raw;
    EXPECT_EQ(reply.body["error"]["code"], "forbidden");
}

TEST_F(IsolationTest, TokenCreationValidatesItsBody) {
    const auto missing = rest(hub->port(), hub->token(), "POST", "/api/tokens", R"({"label":"x"})");
    EXPECT_EQ(missing.status, 400);
    EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("user"), std::string::npos);
    const auto unknown = rest(hub->port(), hub->token(), "POST", "/api/tokens", R"({"user":"x","role":"admin"})");
    EXPECT_EQ(unknown.status, 400);
    EXPECT_NE(unknown.body["error"]["message"].get<std::string>().find("role"), std::string::npos);
}

TEST_F(IsolationTest, ASecondTokenForAUserSeesTheSameProjects) {
    const std::string again = create_user_token(hub->port(), hub->token(), "alice");
    EXPECT_NE(again, *alice);
    const auto listed = rest(hub->port(), again, "GET", "/api/projects");
    ASSERT_EQ(listed.body["items"].size(), 1U);
    EXPECT_EQ(listed.body["items"][0]["id"], *project);
}

TEST_F(IsolationTest, AUserTokenSignsABrowserIn) {
    const auto login = rest(hub->port(), "", "GET", "/?token=" + *alice);
    ASSERT_EQ(login.status, 302);
    const std::string cookie = login.headers.at("set-cookie");
    const auto listed =
        http_request(hub->port(), "GET", "/api/projects", {{"Cookie", cookie.substr(0, cookie.find(';'))}});
    ASSERT_EQ(listed.status, 200);
    EXPECT_EQ(nlohmann::json::parse(listed.body)["items"].size(), 1U);
}

} // namespace
} // namespace atelier::testing
