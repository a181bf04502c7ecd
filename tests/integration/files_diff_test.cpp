// SPDX-License-Identifier: Apache-2.0
// Version diffs (issue 18, DESIGN §7): GET /api/projects/{id}/versions/{rev}/diff?against= names the
// changed files with their status, gives text files a unified diff and .glb scenes an object summary.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

void put_u32(std::string& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        out += static_cast<char>((value >> (8 * i)) & 0xff);
    }
}

/// A binary glTF with only a JSON chunk (enough for the object summary).
std::string glb(const json& gltf) {
    std::string text = gltf.dump();
    while (text.size() % 4 != 0) {
        text += ' ';
    }
    std::string out = "glTF";
    put_u32(out, 2);
    put_u32(out, static_cast<std::uint32_t>(12 + 8 + text.size()));
    put_u32(out, static_cast<std::uint32_t>(text.size()));
    out += "JSON";
    return out + text;
}

json scene(const json& nodes, const json& meshes) {
    return {{"asset", {{"version", "2.0"}}},
            {"nodes", nodes},
            {"meshes", meshes},
            {"materials", json::array({{{"name", "Red"}}, {{"name", "Blue"}}})}};
}

class FilesDiff : public SessionTest {
protected:
    std::string put(const std::string& path, const std::string& body) {
        const auto reply =
            http_request(hub->port(), "PUT", "/api/projects/" + project + "/files/" + path, auth(), body);
        EXPECT_TRUE(reply.status == 200 || reply.status == 201) << reply.body;
        return json::parse(reply.body).value("version", "");
    }
    json diff(const std::string& rev, const std::string& against = {}, int status = 200) {
        const auto reply = http_request(hub->port(), "GET",
                                        "/api/projects/" + project + "/versions/" + rev + "/diff" +
                                            (against.empty() ? "" : "?against=" + against),
                                        auth());
        EXPECT_EQ(reply.status, status) << reply.body;
        return json::parse(reply.body, nullptr, false);
    }
    static json file(const json& answer, const std::string& path) {
        for (const auto& item : answer["files"]) {
            if (item["path"] == path) {
                return item;
            }
        }
        ADD_FAILURE() << path << " not in " << answer.dump();
        return json::object();
    }
    std::string project;
};

TEST_F(FilesDiff, NamesChangedFilesWithUnifiedDiffsRenamesAndGlbObjects) {
    start_test_hub();
    project = create_project(auth());
    const json mesh_red = {{"primitives", json::array({{{"material", 0}}})}};
    const json mesh_blue = {{"primitives", json::array({{{"material", 1}}})}};
    put("notes.txt", "one\ntwo\nthree\n");
    std::string long_text;
    for (int i = 0; i < 20; ++i) {
        long_text += "line " + std::to_string(i) + " of a file that will be renamed\n";
    }
    put("old.txt", long_text);
    const auto first =
        put("scene.glb",
            glb(scene(json::array({{{"name", "Cube"}, {"mesh", 0}}, {{"name", "Sphere"}, {"translation", {1, 0, 0}}}}),
                      json::array({mesh_red}))));

    // A text file: status, line counts and the unified diff (against the parent by default).
    const auto edited = put("notes.txt", "one\nTWO\nthree\n");
    auto answer = diff(edited);
    EXPECT_EQ(answer["from"], first);
    EXPECT_EQ(answer["to"], edited);
    ASSERT_EQ(answer["files"].size(), 1U) << answer.dump();
    const auto notes = file(answer, "notes.txt");
    EXPECT_EQ(notes["status"], "modified");
    EXPECT_EQ(notes["additions"], 1);
    EXPECT_EQ(notes["deletions"], 1);
    const std::string patch = notes["diff"];
    EXPECT_NE(patch.find("-two\n"), std::string::npos) << patch;
    EXPECT_NE(patch.find("+TWO\n"), std::string::npos) << patch;
    EXPECT_NE(patch.find("@@"), std::string::npos) << patch;

    // The scene: Cube moved and re-materialed, Sphere removed, Cone added.
    const auto changed =
        put("scene.glb",
            glb(scene(json::array({{{"name", "Cube"}, {"mesh", 0}, {"translation", {0, 0, 2}}}, {{"name", "Cone"}}}),
                      json::array({mesh_blue}))));
    answer = diff(changed);
    const auto objects = file(answer, "scene.glb")["objects"];
    EXPECT_EQ(file(answer, "scene.glb")["binary"], true);
    EXPECT_EQ(objects["added"], json::array({"Cone"})) << objects.dump();
    EXPECT_EQ(objects["removed"], json::array({"Sphere"}));
    EXPECT_EQ(objects["moved"], json::array({"Cube"}));
    EXPECT_EQ(objects["rematerialed"], json::array({"Cube"}));

    // Across several versions with `against`: a delete and an add of the same content is a rename.
    ASSERT_EQ(http_request(hub->port(), "DELETE", "/api/projects/" + project + "/files/old.txt", auth()).status, 200);
    const auto renamed = put("docs/renamed.txt", long_text);
    answer = diff(renamed, changed);
    ASSERT_EQ(answer["files"].size(), 1U) << answer.dump();
    EXPECT_EQ(answer["files"][0]["status"], "renamed");
    EXPECT_EQ(answer["files"][0]["path"], "docs/renamed.txt");
    EXPECT_EQ(answer["files"][0]["old_path"], "old.txt");
    // Against an older version: everything since, added files with their objects.
    const auto versions =
        json::parse(http_request(hub->port(), "GET", "/api/projects/" + project + "/versions", auth()).body)["items"];
    const std::string created = versions.back()["rev"];
    answer = diff(renamed, created);
    EXPECT_EQ(file(answer, "notes.txt")["status"], "added");
    EXPECT_EQ(file(answer, "scene.glb")["objects"]["added"], json::array({"Cone", "Cube"}));
    // The first version has no parent: everything in it is added.
    EXPECT_TRUE(diff(created)["from"].is_null());
}

TEST_F(FilesDiff, UnknownOrMalformedRevisionsGetClearErrors) {
    start_test_hub();
    project = create_project(auth());
    const auto version = put("a.txt", "a");
    EXPECT_EQ(diff("0123456789abcdef0123456789abcdef01234567", {}, 404)["error"]["code"], "not_found");
    EXPECT_NE(diff(version, "not-a-rev", 400)["error"]["message"].get<std::string>().find("against"),
              std::string::npos);
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects/nope/versions/" + version + "/diff", auth()).status, 404);
}

} // namespace
} // namespace atelier::testing
