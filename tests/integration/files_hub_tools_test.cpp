// SPDX-License-Identifier: Apache-2.0
// The hub's file tools (issue 18, api/hub_tools.h) through MCP and through the agent: listing the
// user's other projects' renders, importing one, and importing from the asset library, with the
// same typed services as POST /api/projects/{id}/import.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "mcp_fixture.h"

namespace atelier::testing {
namespace {

namespace fs = std::filesystem;

class FilesHubTools : public McpTest {
protected:
    std::string make_project(const std::string& name) {
        const auto reply =
            http_request(hub->port(), "POST", "/api/projects", auth(), json{{"name", name}, {"kind", "test"}}.dump());
        EXPECT_EQ(reply.status, 201) << reply.body;
        return json::parse(reply.body)["id"];
    }
    /// A render the project's ended session kept (what the renders list serves after a session).
    void keep_render(const std::string& project, const std::string& name, const std::string& bytes) {
        const auto kept = hub->data_dir() / "renders" / project;
        fs::create_directories(kept);
        std::ofstream(kept / name, std::ios::binary) << bytes;
    }
    std::string file(const std::string& project, const std::string& path) {
        const auto reply = http_request(hub->port(), "GET", "/api/projects/" + project + "/files/" + path, auth());
        EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
        return reply.body;
    }
    json versions(const std::string& project) {
        return json::parse(
            http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).body)["items"];
    }
};

TEST_F(FilesHubTools, AnMcpClientListsAnotherProjectsRendersAndImportsOne) {
    start_test_hub();
    const auto island = make_project("Island");
    const auto intro = make_project("Intro");
    keep_render(island, "turntable.png", "turntable pixels");
    const std::string session = initialize();
    const auto tools = request(session, "tools/list");
    for (const char* name : {"list_project_outputs", "import_from_project", "list_assets", "import_asset"}) {
        const auto tool = find_tool(tools, name);
        ASSERT_FALSE(tool.is_null()) << name << " not in " << tools.dump();
        EXPECT_TRUE(tool["inputSchema"]["properties"].contains("project_id")) << tool.dump();
    }
    EXPECT_EQ(find_tool(tools, "import_from_project")["annotations"]["readOnlyHint"], false);
    EXPECT_EQ(find_tool(tools, "list_project_outputs")["annotations"]["readOnlyHint"], true);

    // The projects other than the one worked on, with their outputs: the intro has none.
    const auto listed = call(session, "list_project_outputs", {{"project_id", intro}})["result"];
    ASSERT_FALSE(listed.value("isError", false)) << listed.dump();
    const auto projects = listed["structuredContent"]["projects"];
    ASSERT_EQ(projects.size(), 1U) << projects.dump();
    EXPECT_EQ(projects[0]["id"], island);
    EXPECT_EQ(projects[0]["name"], "Island");
    ASSERT_EQ(projects[0]["outputs"].size(), 1U);
    EXPECT_EQ(projects[0]["outputs"][0]["name"], "turntable.png");
    EXPECT_EQ(projects[0]["outputs"][0]["kind"], "render");

    const auto imported =
        call(session, "import_from_project",
             {{"project_id", intro}, {"from_project", island}, {"render", "turntable.png"}})["result"];
    ASSERT_FALSE(imported.value("isError", false)) << imported.dump() << hub->log();
    const auto answer = imported["structuredContent"];
    EXPECT_EQ(answer["path"], "assets/turntable.png");
    EXPECT_EQ(answer["url"], "/api/projects/" + intro + "/files/assets/turntable.png");
    EXPECT_EQ(file(intro, "assets/turntable.png"), "turntable pixels");
    const auto history = versions(intro);
    EXPECT_EQ(history[0]["rev"], answer["version"]);
    EXPECT_EQ(history[0]["message"].get<std::string>().rfind("import render turntable.png from Island", 0), 0U)
        << history[0].dump();

    // Mistakes are tool errors the model can read, naming what is wrong.
    auto refused = call(session, "import_from_project", {{"project_id", intro}, {"render", "turntable.png"}})["result"];
    EXPECT_TRUE(refused.value("isError", false)) << refused.dump();
    EXPECT_NE(refused.dump().find("from_project"), std::string::npos) << refused.dump();
    refused = call(session, "import_from_project", {{"from_project", island}, {"render", "turntable.png"}})["result"];
    EXPECT_TRUE(refused.value("isError", false)) << "no project open and none given: " << refused.dump();
}

TEST_F(FilesHubTools, ALibraryAssetImportsIntoTheOpenProjectsLiveSession) {
    start_test_hub();
    const auto scene = make_project("Scene");
    const std::string session = initialize();
    const auto assets = call(session, "list_assets", {{"kind", "image"}})["result"];
    ASSERT_FALSE(assets.value("isError", false)) << assets.dump();
    bool checker = false;
    for (const auto& asset : assets["structuredContent"]["assets"]) {
        EXPECT_EQ(asset["kind"], "image") << asset.dump();
        checker = checker || asset["path"] == "textures/checker.png";
    }
    EXPECT_TRUE(checker) << assets.dump();

    ASSERT_FALSE(call(session, "open_project", {{"project_id", scene}})["result"].value("isError", false));
    const auto imported = call(session, "import_asset", {{"asset", "textures/checker.png"}})["result"];
    ASSERT_FALSE(imported.value("isError", false)) << imported.dump() << hub->log();
    EXPECT_EQ(imported["structuredContent"]["path"], "assets/checker.png");
    EXPECT_EQ(file(scene, "assets/checker.png").substr(1, 3), "PNG");
    EXPECT_EQ(versions(scene)[0]["rev"], imported["structuredContent"]["version"]);
}

/// The agent's side: the fake model asks for the hub tools in a turn.
class FilesHubToolsAgent : public SessionTest {
protected:
    void SetUp() override {
        std::string error;
        model = FakeModelServer::start(&error);
        ASSERT_NE(model, nullptr) << error;
    }
    std::unique_ptr<FakeModelServer> model;
};

TEST_F(FilesHubToolsAgent, AnAgentTurnListsRendersAndImportsOneIntoItsProject) {
    start_test_hub({}, "\n[model]\nprovider = \"anthropic\"\nmodel = \"fake-model\"\nbase_url = \"" +
                           model->base_url() + "\"\n");
    const auto create = [&](const std::string& name) {
        const auto reply =
            http_request(hub->port(), "POST", "/api/projects", auth(), json{{"name", name}, {"kind", "test"}}.dump());
        EXPECT_EQ(reply.status, 201) << reply.body;
        return json::parse(reply.body)["id"].get<std::string>();
    };
    const auto island = create("Island");
    const auto intro = create("Intro");
    const auto kept = hub->data_dir() / "renders" / island;
    fs::create_directories(kept);
    std::ofstream(kept / "turntable.png", std::ios::binary) << "turntable pixels";

    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, intro).is_null());
    ASSERT_TRUE(model->script({{"replies",
                                {{{"tool_calls", {{{"name", "list_project_outputs"}, {"arguments", json::object()}}}}},
                                 {{"tool_calls",
                                   {{{"name", "import_from_project"},
                                     {"arguments", {{"from_project", island}, {"render", "turntable.png"}}}}}}},
                                 {{"text", "Imported the turntable."}}}}}));
    tab.send("message:send", {{"text", "bring in the island's turntable"}});
    const auto complete = tab.next("agent:complete");
    ASSERT_FALSE(complete.is_null()) << json(tab.seen).dump(1) << hub->log();
    EXPECT_EQ(complete["payload"]["ok"], true) << complete.dump();

    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 3U);
    std::vector<std::string> names;
    for (const auto& tool : requests[0]["body"]["tools"]) {
        names.push_back(tool["name"]);
    }
    EXPECT_NE(std::find(names.begin(), names.end(), "import_from_project"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "scene__create_object"), names.end()) << "engine tools stay";
    // The listing the model read names the island's render; the import's result names the file.
    EXPECT_NE(requests[1]["body"]["messages"].dump().find("turntable.png"), std::string::npos);
    EXPECT_NE(requests[2]["body"]["messages"].dump().find("assets/turntable.png"), std::string::npos);
    const auto results = tab.all("agent:tool_result");
    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[1]["payload"]["ok"], true) << results[1].dump();

    const auto reply =
        http_request(hub->port(), "GET", "/api/projects/" + intro + "/files/assets/turntable.png", auth());
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body, "turntable pixels");
}

/// A PNG header for 64x32 pixels (signature and IHDR): enough for the hub to read its size.
std::string png_header() {
    return std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x40\0\0\0\x20\x08\x02\0\0\0\0\0\0\0", 33);
}

TEST_F(FilesHubToolsAgent, TheModelIsToldTheAssetsAndAnAttachmentBecomesAVersionWithTheFile) {
    start_test_hub({}, "\n[model]\nprovider = \"anthropic\"\nmodel = \"fake-model\"\nbase_url = \"" +
                           model->base_url() + "\"\n");
    const auto created =
        http_request(hub->port(), "POST", "/api/projects", auth(), json{{"name", "Intro"}, {"kind", "test"}}.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string project = json::parse(created.body)["id"];
    const auto put =
        http_request(hub->port(), "PUT", "/api/projects/" + project + "/files/assets/logo.png", auth(), png_header());
    ASSERT_EQ(put.status, 201) << put.body;

    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    ASSERT_TRUE(model->script({{"replies", {{{"text", "A fine logo."}}}}}));
    // The same 33 bytes in base64, as the web app sends an attached image.
    tab.send("message:send", {{"text", "use this picture"},
                              {"attachments",
                               {{{"type", "image"},
                                 {"media_type", "image/png"},
                                 {"name", "my photo.png"},
                                 {"data", "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAgCAIAAAAAAAAA"}}}}});
    const auto complete = tab.next("agent:complete");
    ASSERT_FALSE(complete.is_null()) << json(tab.seen).dump(1) << hub->log();
    EXPECT_EQ(complete["payload"]["ok"], true) << complete.dump();

    // The attachment is a file of the project's asset folder, in a version of its own.
    const auto kept =
        http_request(hub->port(), "GET", "/api/projects/" + project + "/files/assets/my-photo.png", auth());
    EXPECT_EQ(kept.status, 200) << kept.body;
    EXPECT_EQ(kept.body, png_header());
    const auto history =
        json::parse(http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).body)["items"];
    EXPECT_EQ(history[0]["message"], "attach assets/my-photo.png") << history.dump();

    // The model got the image, was told where it is kept, and read the asset list with sizes.
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 1U);
    const std::string messages = requests[0]["body"]["messages"].dump();
    EXPECT_NE(messages.find("\"type\":\"image\""), std::string::npos) << messages;
    EXPECT_NE(messages.find("kept in the project as: assets/my-photo.png"), std::string::npos) << messages;
    EXPECT_NE(messages.find("# The project's assets"), std::string::npos) << messages;
    EXPECT_NE(messages.find("- assets/logo.png (image, 33 B, 64x32)"), std::string::npos) << messages;
    EXPECT_NE(messages.find("- assets/my-photo.png (image, 33 B, 64x32)"), std::string::npos) << messages;
}

} // namespace
} // namespace atelier::testing
