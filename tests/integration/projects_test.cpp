// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"
#include "rest_client.h"
#include "store/store.h"

namespace atelier::testing {
namespace {

class ProjectsTest : public ::testing::Test {
protected:
    void SetUp() override { hub = HubProcess::start(); }
    RestReply call(const std::string& method, const std::string& target, const std::string& body = {}) {
        return rest(hub->port(), hub->token(), method, target, body);
    }
    /// Expects a 400 whose JSON error message names `field`.
    void expect_rejected(const std::string& method, const std::string& target, const std::string& body,
                         const std::string& field) {
        const auto reply = call(method, target, body);
        EXPECT_EQ(reply.status, 400) << body << " → " << reply.raw;
        ASSERT_TRUE(reply.body.is_object()) << reply.raw;
        EXPECT_EQ(reply.body["error"]["code"], "invalid_argument");
        EXPECT_NE(reply.body["error"]["message"].get<std::string>().find(field), std::string::npos)
            << body << " → " << reply.raw;
    }
    std::unique_ptr<HubProcess> hub;
};

TEST_F(ProjectsTest, CreatesListsGetsRenamesAndDeletesAProject) {
    expect_project_crud_works(hub->port(), hub->token());
}

TEST_F(ProjectsTest, RefusesProjectRoutesWithoutAToken) {
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects").status, 401);
    EXPECT_EQ(http_request(hub->port(), "POST", "/api/projects", {}, R"({"name":"a","kind":"blender"})").status, 401);
}

TEST_F(ProjectsTest, HealthReportsTheStore) {
    const auto reply = http_request(hub->port(), "GET", "/api/health");
    EXPECT_EQ(nlohmann::json::parse(reply.body)["subsystems"]["store"], "ok");
}

TEST_F(ProjectsTest, RejectsMalformedJson) {
    expect_rejected("POST", "/api/projects", R"({"name": "a", "kind": )", "JSON");
    expect_rejected("POST", "/api/projects", R"(["name"])", "object");
}

TEST_F(ProjectsTest, RejectsUnknownFieldsNamingThem) {
    expect_rejected("POST", "/api/projects", R"({"name":"a","kind":"blender","colour":"red"})", "colour");
    const std::string id = create_project(hub->port(), hub->token(), "a");
    expect_rejected("PATCH", "/api/projects/" + id, R"({"kind":"remotion"})", "kind");
}

TEST_F(ProjectsTest, RejectsMissingAndMistypedFieldsNamingThem) {
    expect_rejected("POST", "/api/projects", R"({"kind":"blender"})", "name");
    expect_rejected("POST", "/api/projects", R"({"name":"a"})", "kind");
    expect_rejected("POST", "/api/projects", R"({"name":42,"kind":"blender"})", "name");
    expect_rejected("POST", "/api/projects", R"({"name":"","kind":"blender"})", "name");
}

TEST_F(ProjectsTest, RejectsNamesLongerThan200CharactersAndAcceptsExactly200) {
    const nlohmann::json too_long{{"name", std::string(201, 'x')}, {"kind", "blender"}};
    expect_rejected("POST", "/api/projects", too_long.dump(), "name");
    const nlohmann::json longest{{"name", std::string(200, 'x')}, {"kind", "blender"}};
    EXPECT_EQ(call("POST", "/api/projects", longest.dump()).status, 201);
    const std::string id = create_project(hub->port(), hub->token(), "short");
    expect_rejected("PATCH", "/api/projects/" + id, nlohmann::json{{"name", std::string(201, 'x')}}.dump(), "name");
}

TEST_F(ProjectsTest, RejectsAnUnknownKindListingTheKnownOnes) {
    expect_rejected("POST", "/api/projects", R"({"name":"a","kind":"maya"})", "kind");
    const auto reply = call("POST", "/api/projects", R"({"name":"a","kind":"maya"})");
    EXPECT_NE(reply.body["error"]["message"].get<std::string>().find("blender"), std::string::npos);
    EXPECT_EQ(call("POST", "/api/projects", R"({"name":"a","kind":"remotion"})").status, 201);
}

TEST_F(ProjectsTest, PaginatesTheProjectListNewestFirst) {
    const std::string first = create_project(hub->port(), hub->token(), "one");
    const std::string second = create_project(hub->port(), hub->token(), "two");
    const std::string third = create_project(hub->port(), hub->token(), "three");
    const auto page1 = call("GET", "/api/projects?limit=2");
    ASSERT_EQ(page1.status, 200) << page1.raw;
    ASSERT_EQ(page1.body["items"].size(), 2U);
    EXPECT_EQ(page1.body["items"][0]["id"], third);
    EXPECT_EQ(page1.body["items"][1]["id"], second);
    ASSERT_TRUE(page1.body["next_cursor"].is_string());
    const auto page2 = call("GET", "/api/projects?limit=2&cursor=" + page1.body["next_cursor"].get<std::string>());
    ASSERT_EQ(page2.status, 200) << page2.raw;
    ASSERT_EQ(page2.body["items"].size(), 1U);
    EXPECT_EQ(page2.body["items"][0]["id"], first);
    EXPECT_TRUE(page2.body["next_cursor"].is_null());
}

TEST_F(ProjectsTest, RejectsABadLimitOrCursor) {
    expect_rejected("GET", "/api/projects?limit=0", "", "limit");
    expect_rejected("GET", "/api/projects?limit=abc", "", "limit");
    expect_rejected("GET", "/api/projects?limit=501", "", "limit");
    expect_rejected("GET", "/api/projects?cursor=zz", "", "cursor");
}

TEST_F(ProjectsTest, DeleteRemovesTheRepositoryAndAnswers404Afterwards) {
    const std::string id = create_project(hub->port(), hub->token(), "doomed");
    const auto repo = hub->data_dir() / "projects" / (id + ".git");
    EXPECT_TRUE(std::filesystem::exists(repo));
    EXPECT_EQ(call("DELETE", "/api/projects/" + id).status, 204);
    EXPECT_FALSE(std::filesystem::exists(repo));
    EXPECT_EQ(call("DELETE", "/api/projects/" + id).status, 404);
    EXPECT_EQ(call("GET", "/api/projects/" + id + "/versions").status, 404);
}

TEST_F(ProjectsTest, ListsStoredMessagesOldestFirstAndIncludesThemInTheProject) {
    const std::string id = create_project(hub->port(), hub->token(), "chatty");
    {
        // What the agent will do: store messages for the project (a second connection to the
        // hub's own SQLite database, which WAL allows while the hub runs).
        auto store = store::open_sqlite_store(hub->data_dir());
        ASSERT_TRUE(store) << store.error().message;
        const auto admin = (*store)->find_user_by_name("admin");
        ASSERT_TRUE(admin);
        for (const char* text : {"make a teapot", "done", "thanks"}) {
            ASSERT_TRUE((*store)->add_message(admin->id, id, {"user", text, R"([{"tool":"x"}])"}));
        }
    }
    const auto page = call("GET", "/api/projects/" + id + "/messages?limit=2");
    ASSERT_EQ(page.status, 200) << page.raw;
    ASSERT_EQ(page.body["items"].size(), 2U);
    EXPECT_EQ(page.body["items"][0]["content"], "make a teapot");
    EXPECT_EQ(page.body["items"][0]["tool_actions"][0]["tool"], "x");
    const auto rest_page =
        call("GET", "/api/projects/" + id + "/messages?cursor=" + page.body["next_cursor"].get<std::string>());
    ASSERT_EQ(rest_page.body["items"].size(), 1U);
    EXPECT_EQ(rest_page.body["items"][0]["content"], "thanks");
    const auto project = call("GET", "/api/projects/" + id);
    ASSERT_EQ(project.body["messages"].size(), 3U);
    EXPECT_EQ(project.body["messages"][2]["content"], "thanks");
}

TEST(ProjectKinds, AKindTheConfigFileDoesNotNameIsRefusedNamingTheConfiguredKinds) {
    TempDir config_dir;
    const auto config = config_dir.path() / "atelier.toml";
    std::ofstream(config) << "[engines.test]\ncommand = [\"true\"]\n[engines.video]\ncommand = [\"true\"]\n";
    auto hub = HubProcess::start({.args = {"--config", config.string()}});
    // blender is a built-in kind only when the config file names no engine kinds.
    const auto reply = rest_json(hub->port(), hub->token(), "POST", "/api/projects",
                                 nlohmann::json{{"name", "a"}, {"kind", "blender"}});
    EXPECT_EQ(reply.status, 400) << reply.raw;
    EXPECT_EQ(reply.body["error"]["message"],
              "field \"kind\": no engine of kind \"blender\" is configured (configured kinds: test, video)");
    EXPECT_EQ(rest(hub->port(), hub->token(), "GET", "/api/projects").body["items"].size(), 0U);
    EXPECT_FALSE(create_project(hub->port(), hub->token(), "b", "video").empty());
}

TEST(ProjectTemplates, CreateCommitsTheKindsTemplateAsTheFirstVersion) {
    TempDir config_dir;
    const auto template_dir = config_dir.path() / "template";
    std::filesystem::create_directories(template_dir / "src");
    std::ofstream(template_dir / "src" / "Root.tsx") << "export const Root = () => null;\n";
    std::ofstream(template_dir / "package.json") << "{}\n";
    const auto config = config_dir.path() / "atelier.toml";
    std::ofstream(config) << "[engines.remotion]\ncommand = [\"true\"]\ntemplate = \"" << template_dir.string()
                          << "\"\n";
    auto hub = HubProcess::start({.args = {"--config", config.string()}});
    const std::string id = create_project(hub->port(), hub->token(), "video", "remotion");
    const auto versions = rest(hub->port(), hub->token(), "GET", "/api/projects/" + id + "/versions");
    ASSERT_EQ(versions.body["items"].size(), 1U);
    const auto& files = versions.body["items"][0]["files"];
    ASSERT_EQ(files.size(), 2U) << versions.raw;
    EXPECT_EQ(files[0]["path"], "package.json");
    EXPECT_EQ(files[0]["status"], "added");
    const auto file = rest(hub->port(), hub->token(), "GET", "/api/projects/" + id + "/files/src/Root.tsx");
    EXPECT_EQ(file.status, 200);
    EXPECT_EQ(file.raw, "export const Root = () => null;\n");
}

} // namespace
} // namespace atelier::testing
