// SPDX-License-Identifier: Apache-2.0
// Importing from another project (issue 18): POST /api/projects/{id}/import copies a render or a
// file of a version into the project's asset folder as a new version that names its source.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rest_client.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

class FilesImport : public SessionTest {
protected:
    /// A hub whose `blender` and `remotion` kinds exist (the test engine runs them): their asset
    /// folders (`assets/`, `public/`) are what the imports are about.
    void start_kinds_hub() {
        const std::string engine = "[\"" + test_engine_binary() + "\"]";
        start_test_hub({},
                       "\n[engines.blender]\ncommand = " + engine + "\n[engines.remotion]\ncommand = " + engine + "\n");
    }

    std::string make_project(const std::string& name, const std::string& kind) {
        const auto reply =
            http_request(hub->port(), "POST", "/api/projects", auth(), json{{"name", name}, {"kind", kind}}.dump());
        EXPECT_EQ(reply.status, 201) << reply.body;
        return json::parse(reply.body)["id"];
    }
    HttpResult import(const std::string& project, const json& body) {
        return http_request(hub->port(), "POST", "/api/projects/" + project + "/import", auth(), body.dump());
    }
    std::string file(const std::string& project, const std::string& path) {
        const auto reply = http_request(hub->port(), "GET", "/api/projects/" + project + "/files/" + path, auth());
        EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
        return reply.body;
    }
};

TEST_F(FilesImport, AFileOfAVersionAndARenderLandInTheAssetFolderAsVersions) {
    start_kinds_hub();
    const auto island = make_project("Island", "blender");
    const auto video = make_project("Intro", "remotion");
    const auto put =
        http_request(hub->port(), "PUT", "/api/projects/" + island + "/files/art/sky.png", auth(), "sky pixels");
    ASSERT_EQ(put.status, 201) << put.body;
    const std::string source_version = json::parse(put.body)["version"];

    // A file of a version: into remotion's asset folder, public/.
    auto reply = import(video, {{"from_project", island}, {"path", "art/sky.png"}, {"rev", source_version}});
    ASSERT_EQ(reply.status, 201) << reply.body;
    auto answer = json::parse(reply.body);
    EXPECT_EQ(answer["path"], "public/sky.png");
    EXPECT_EQ(file(video, "public/sky.png"), "sky pixels");
    const auto versions =
        json::parse(http_request(hub->port(), "GET", "/api/projects/" + video + "/versions", auth()).body)["items"];
    EXPECT_EQ(versions[0]["rev"], answer["version"]);
    const std::string message = versions[0]["message"];
    EXPECT_EQ(message.rfind("import art/sky.png from Island", 0), 0U) << message;
    EXPECT_NE(message.find(source_version), std::string::npos) << message; // the source version is recorded
    EXPECT_NE(message.find(island), std::string::npos) << message;

    // A render the island's session kept: into a folder given by `to`; the source stays.
    const auto kept = hub->data_dir() / "renders" / island;
    std::filesystem::create_directories(kept);
    std::ofstream(kept / "turntable.mp4", std::ios::binary) << "turntable frames";
    reply = import(video, {{"from_project", island}, {"render", "turntable.mp4"}, {"to", "public/clips/"}});
    ASSERT_EQ(reply.status, 201) << reply.body;
    EXPECT_EQ(json::parse(reply.body)["path"], "public/clips/turntable.mp4");
    EXPECT_EQ(file(video, "public/clips/turntable.mp4"), "turntable frames");
    EXPECT_TRUE(std::filesystem::exists(kept / "turntable.mp4"));

    // Blender's asset folder is assets/.
    reply = import(island, {{"from_project", video}, {"path", "public/sky.png"}});
    ASSERT_EQ(reply.status, 201) << reply.body;
    EXPECT_EQ(json::parse(reply.body)["path"], "assets/sky.png");
}

TEST_F(FilesImport, BadRequestsAndOtherUsersProjectsAreRefused) {
    start_kinds_hub();
    const auto mine = make_project("Mine", "remotion");
    const auto other_token = create_user_token(hub->port(), hub->token(), "bob");
    const auto theirs =
        json::parse(http_request(hub->port(), "POST", "/api/projects", {{"Authorization", "Bearer " + other_token}},
                                 json{{"name", "Theirs"}, {"kind", "blender"}}.dump())
                        .body)["id"]
            .get<std::string>();
    EXPECT_EQ(import(mine, {{"from_project", theirs}, {"path", "scene.glb"}}).status, 404);
    EXPECT_EQ(import(mine, {{"from_project", mine}, {"path", "a.txt"}, {"render", "x.mp4"}}).status, 400);
    EXPECT_EQ(import(mine, {{"render", "x.mp4"}}).status, 400);
    EXPECT_EQ(import(mine, {{"from_project", mine}, {"render", "nothing.mp4"}}).status, 404);
    EXPECT_EQ(import(mine, {{"from_project", mine}, {"path", "../etc/passwd"}}).status, 400);
    EXPECT_EQ(import(mine, {{"from_project", mine}, {"path", "x"}, {"to", "renders/x"}}).status, 400);
    EXPECT_EQ(import(mine, {{"from_project", mine}, {"path", "x"}, {"surprise", 1}}).status, 400);
}

TEST_F(FilesImport, TheStarterAssetLibraryIsListedAndItsAssetsImport) {
    start_kinds_hub();
    const auto listed = http_request(hub->port(), "GET", "/api/assets", auth());
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto assets = json::parse(listed.body)["assets"];
    const auto find = [&](const std::string& path) {
        for (const auto& asset : assets) {
            if (asset["path"] == path) {
                return asset;
            }
        }
        ADD_FAILURE() << path << " not in " << assets.dump();
        return json::object();
    };
    EXPECT_EQ(find("hdri/sunset_gradient.hdr")["kind"], "hdri");
    EXPECT_EQ(find("textures/checker.png")["kind"], "image");
    EXPECT_EQ(find("models/cube.glb")["kind"], "model");
    EXPECT_GT(find("models/cube.glb")["size"].get<int>(), 100);

    const auto scene = make_project("Scene", "blender");
    auto reply = import(scene, {{"asset", "models/cube.glb"}});
    ASSERT_EQ(reply.status, 201) << reply.body;
    EXPECT_EQ(json::parse(reply.body)["path"], "assets/cube.glb");
    const auto bytes = file(scene, "assets/cube.glb");
    EXPECT_EQ(bytes.substr(0, 4), "glTF");
    // The generated primitive is a real binary glTF: its JSON chunk names the object.
    EXPECT_NE(bytes.find("\"name\":\"Cube\""), std::string::npos);
    EXPECT_EQ(import(scene, {{"asset", "../atelier.toml"}}).status, 400);
    EXPECT_EQ(import(scene, {{"asset", "models/none.glb"}}).status, 404);
}

} // namespace
} // namespace atelier::testing
