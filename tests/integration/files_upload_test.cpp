// SPDX-License-Identifier: Apache-2.0
// Uploads and deletes (issue 18, docs/files.md): PUT/DELETE /api/projects/{id}/files/{path} against
// the real hub, with and without a live session, and outputs (exports) listed and downloaded.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session_fixture.h"

namespace atelier::testing {
namespace {

std::string random_bytes(std::size_t size) {
    std::mt19937 generator(18);
    std::string bytes(size, '\0');
    for (auto& byte : bytes) {
        byte = static_cast<char>(generator() & 0xff);
    }
    return bytes;
}

class FilesUpload : public SessionTest {
protected:
    HttpResult put(const std::string& project, const std::string& path, const std::string& body) {
        return http_request(hub->port(), "PUT", "/api/projects/" + project + "/files/" + path, auth(), body);
    }
    HttpResult get(const std::string& target) { return http_request(hub->port(), "GET", target, auth()); }
    json versions(const std::string& project) {
        return json::parse(get("/api/projects/" + project + "/versions").body)["items"];
    }
    std::size_t leftover_uploads() {
        std::error_code error;
        std::size_t count = 0;
        for (const auto& entry : std::filesystem::directory_iterator(hub->data_dir() / "uploads", error)) { // NOLINT
            (void)entry;
            ++count;
        }
        return count;
    }
};

TEST_F(FilesUpload, AnUploadBecomesAVersionAndDownloadsByteForByte) {
    start_test_hub();
    const auto project = create_project(auth());
    // Larger than the 1 MiB limit of ordinary request bodies: uploads are streamed to disk.
    const std::string logo = random_bytes(3 * 1024 * 1024 + 17);
    const auto uploaded = put(project, "assets/logo.bin", logo);
    ASSERT_EQ(uploaded.status, 201) << uploaded.body;
    const auto answer = json::parse(uploaded.body);
    EXPECT_EQ(answer["path"], "assets/logo.bin");
    EXPECT_EQ(answer["size"], logo.size());
    const std::string version = answer["version"];
    ASSERT_EQ(version.size(), 40U);

    const auto listed = versions(project);
    EXPECT_EQ(listed[0]["rev"], version);
    EXPECT_EQ(listed[0]["message"], "upload assets/logo.bin");
    const auto downloaded = get("/api/projects/" + project + "/files/assets/logo.bin?rev=" + version);
    ASSERT_EQ(downloaded.status, 200);
    EXPECT_TRUE(downloaded.body == logo) << "the downloaded bytes differ from the uploaded ones";

    // The same path again replaces the file: 200 and a newer version.
    const auto replaced = put(project, "assets/logo.bin", "small now");
    ASSERT_EQ(replaced.status, 200) << replaced.body;
    EXPECT_NE(json::parse(replaced.body)["version"], version);
    EXPECT_EQ(get("/api/projects/" + project + "/files/assets/logo.bin").body, "small now");
    EXPECT_EQ(leftover_uploads(), 0U);
}

TEST_F(FilesUpload, AnUploadOverTheLimitIsRefusedWith413AndLeavesNothing) {
    start_test_hub({"--max-upload-bytes", "1000"});
    const auto project = create_project(auth());
    const auto announced = put(project, "big.bin", std::string(2000, 'x'));
    EXPECT_EQ(announced.status, 413) << announced.body;
    EXPECT_NE(announced.body.find("limits.upload_bytes"), std::string::npos) << announced.body;

    // Without Content-Length (chunked), the stream is cut when it goes over.
    std::string raw = "PUT /api/projects/" + project +
                      "/files/big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: " + hub->bearer() +
                      "\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) {
        raw += "258\r\n" + std::string(600, 'y') + "\r\n";
    }
    raw += "0\r\n\r\n";
    const std::string answer = raw_exchange(hub->port(), raw);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0U) << answer;
    EXPECT_NE(answer.find("upload larger than the limit of 1000 bytes"), std::string::npos) << answer;

    EXPECT_EQ(versions(project).size(), 1U); // only "Create project"
    EXPECT_EQ(leftover_uploads(), 0U);
    // At the limit is fine.
    EXPECT_EQ(put(project, "ok.bin", std::string(1000, 'z')).status, 201);
}

TEST_F(FilesUpload, PathsThatLeaveTheProjectAreRefused) {
    start_test_hub();
    const auto project = create_project(auth());
    const std::string base = "/api/projects/" + project + "/files/";
    for (const std::string path : {"a/%2E%2E/b.txt", "..%2Fsecret", "a%5Cb.txt", "%2Fetc%2Fpasswd", "renders/x.png",
                                   "exports/x.glb", "sub/.git/config", "node_modules/x.js"}) {
        const auto reply = http_request(hub->port(), "PUT", base + path, auth(), "data");
        EXPECT_EQ(reply.status, 400) << path << ": " << reply.body;
    }
    // No token: 401 before any of the body is stored.
    EXPECT_EQ(http_request(hub->port(), "PUT", base + "x.txt", {}, "data").status, 401);
    EXPECT_EQ(http_request(hub->port(), "PUT", "/api/projects/nope/files/x.txt", auth(), "data").status, 404);
    EXPECT_EQ(versions(project).size(), 1U);
    EXPECT_EQ(leftover_uploads(), 0U);
}

TEST_F(FilesUpload, DeletingAFileMakesAVersionWithoutIt) {
    start_test_hub();
    const auto project = create_project(auth());
    ASSERT_EQ(put(project, "notes/todo.txt", "buy milk").status, 201);
    const auto deleted =
        http_request(hub->port(), "DELETE", "/api/projects/" + project + "/files/notes/todo.txt", auth());
    ASSERT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_EQ(json::parse(deleted.body)["path"], "notes/todo.txt");
    EXPECT_EQ(versions(project)[0]["message"], "delete notes/todo.txt");
    EXPECT_EQ(get("/api/projects/" + project + "/files/notes/todo.txt").status, 404);
    EXPECT_EQ(http_request(hub->port(), "DELETE", "/api/projects/" + project + "/files/notes/todo.txt", auth()).status,
              404);
}

TEST_F(FilesUpload, AnUploadIntoALiveSessionLandsInItsTreeAndReachesTheEngine) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    const auto uploaded = put(project, "public/logo.png", "not really a png");
    ASSERT_EQ(uploaded.status, 201) << uploaded.body << hub->log();
    const std::string version = json::parse(uploaded.body)["version"];

    // The engine heard project/files_changed (the test engine echoes it as a scene change).
    json scene;
    for (scene = tab.next("scene:updated"); !scene.is_null() && !scene["payload"]["summary"].contains("files_changed");
         scene = tab.next("scene:updated")) {
    }
    ASSERT_FALSE(scene.is_null()) << json(tab.seen).dump();
    EXPECT_EQ(scene["payload"]["summary"]["files_changed"], json::array({"public/logo.png"}));
    // In the session's working tree, and committed with the session (its saved scene too).
    const auto workdir = hub->data_dir() / "sessions" / ready["session_id"].get<std::string>() / "work";
    EXPECT_TRUE(std::filesystem::exists(workdir / "public/logo.png"));
    const auto created = tab.next("version:created");
    ASSERT_FALSE(created.is_null());
    EXPECT_EQ(created["payload"]["rev"], version);
    EXPECT_EQ(created["payload"]["message"], "upload public/logo.png");
    EXPECT_EQ(get("/api/projects/" + project + "/files/public/logo.png?rev=" + version).body, "not really a png");
    EXPECT_EQ(get("/api/projects/" + project + "/files/scene.json?rev=" + version).status, 200);

    // Deleting through the session takes it out of the tree and the next version.
    const auto deleted =
        http_request(hub->port(), "DELETE", "/api/projects/" + project + "/files/public/logo.png", auth());
    ASSERT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_FALSE(std::filesystem::exists(workdir / "public/logo.png"));
    EXPECT_EQ(get("/api/projects/" + project + "/files/public/logo.png").status, 404);
}

TEST_F(FilesUpload, ExportsAreListedAndDownloadableDuringAndAfterTheSession) {
    start_test_hub();
    const auto project = create_project(auth());
    Tab tab(*hub, hub->bearer());
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    // What an engine's export tool leaves in exports/: a binary glTF.
    const auto workdir = hub->data_dir() / "sessions" / ready["session_id"].get<std::string>() / "work";
    std::filesystem::create_directories(workdir / "exports");
    std::ofstream(workdir / "exports/scene.glb", std::ios::binary) << std::string("glTF\x02\0\0\0", 8) << "body";

    const std::string base = "/api/projects/" + project;
    const auto check = [&](bool live) {
        const auto listed = json::parse(get(base + "/renders").body)["renders"];
        ASSERT_EQ(listed.size(), 1U) << listed.dump();
        EXPECT_EQ(listed[0]["name"], "scene.glb");
        EXPECT_EQ(listed[0]["kind"], "export");
        EXPECT_EQ(listed[0]["size"], 12);
        EXPECT_EQ(listed[0]["live"], live);
        EXPECT_EQ(listed[0]["version"].get<std::string>().size(), 40U);
        EXPECT_EQ(listed[0]["url"], base + "/files/exports/scene.glb");
        auto downloaded = get(listed[0]["url"]);
        ASSERT_EQ(downloaded.status, 200) << downloaded.body;
        EXPECT_EQ(downloaded.body.substr(0, 4), "glTF");
        EXPECT_NE(downloaded.headers["content-disposition"].find("attachment"), std::string::npos);
    };
    check(true);
    // Outputs are not versioned.
    tab.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "cube"}}}});
    const auto result = tab.next("command:result");
    ASSERT_EQ(result["payload"]["ok"], true) << result.dump();
    EXPECT_EQ(get(base + "/files/exports/scene.glb?rev=" + result["payload"]["version"].get<std::string>()).status,
              404);

    tab.send("session:end", json::object());
    ASSERT_FALSE(tab.next("ack").is_null());
    // Outputs are kept before the session says it has ended.
    json status;
    for (status = tab.next("session:status"); !status.is_null() && status["payload"]["state"] != "ended";
         status = tab.next("session:status")) {
    }
    ASSERT_FALSE(status.is_null()) << json(tab.seen).dump();
    check(false);
}

} // namespace
} // namespace atelier::testing
