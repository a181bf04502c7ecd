// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"
#include "rest_client.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::testing {
namespace {

/// A project with two versions: v1 has scene.glb = "one", v2 changes it to "two" and adds
/// notes.txt. The second version is made the way a session will: commit a working tree to the
/// project's repository and record the version in the store.
class VersionsTest : public ::testing::Test {
protected:
    void SetUp() override {
        hub = HubProcess::start();
        id = create_project(hub->port(), hub->token(), "versions");
        ASSERT_FALSE(id.empty());
        first = commit({{"scene.glb", "one"}}, "first");
        second = commit({{"scene.glb", "two"}, {"notes.txt", "hello"}}, "second");
    }

    std::string commit(const std::map<std::string, std::string>& files, const std::string& message) {
        auto store = store::open_sqlite_store(hub->data_dir());
        auto repo = store::ProjectRepos(hub->data_dir()).open(id);
        if (!store || !repo) {
            ADD_FAILURE() << "cannot open the hub's store or repository";
            return {};
        }
        TempDir tree;
        EXPECT_TRUE(repo->checkout("HEAD", tree.path()));
        for (const auto& entry : std::filesystem::directory_iterator(tree.path())) {
            std::filesystem::remove_all(entry.path());
        }
        for (const auto& [path, content] : files) {
            std::ofstream(tree.path() / path) << content;
        }
        const auto outcome = repo->commit(tree.path(), {"admin", "admin@atelier.local"}, message);
        EXPECT_TRUE(outcome && outcome->created);
        const auto admin = (*store)->find_user_by_name("admin");
        EXPECT_TRUE((*store)->add_version(admin->id, id, {outcome->revision, message, "admin"}));
        return outcome->revision;
    }

    RestReply call(const std::string& method, const std::string& target, const std::string& body = {}) {
        return rest(hub->port(), hub->token(), method, target, body);
    }
    std::string file_at(const std::string& path, const std::string& rev = {}) {
        const auto reply = call("GET", "/api/projects/" + id + "/files/" + path + (rev.empty() ? "" : "?rev=" + rev));
        EXPECT_EQ(reply.status, 200) << reply.raw;
        return reply.raw;
    }

    std::unique_ptr<HubProcess> hub;
    std::string id;
    std::string first;
    std::string second;
};

TEST_F(VersionsTest, ListsVersionsNewestFirstWithTheirChangedFiles) {
    const auto reply = call("GET", "/api/projects/" + id + "/versions");
    ASSERT_EQ(reply.status, 200) << reply.raw;
    const auto& items = reply.body["items"];
    ASSERT_EQ(items.size(), 3U);
    EXPECT_EQ(items[0]["rev"], second);
    EXPECT_EQ(items[0]["message"], "second");
    EXPECT_EQ(items[0]["author"], "admin");
    ASSERT_EQ(items[0]["files"].size(), 2U);
    EXPECT_EQ(items[0]["files"][0], (nlohmann::json{{"path", "notes.txt"}, {"status", "added"}}));
    EXPECT_EQ(items[0]["files"][1], (nlohmann::json{{"path", "scene.glb"}, {"status", "modified"}}));
    EXPECT_EQ(items[1]["rev"], first);
    EXPECT_EQ(items[2]["message"], "Create project");
}

TEST_F(VersionsTest, PaginatesVersions) {
    const auto page = call("GET", "/api/projects/" + id + "/versions?limit=2");
    ASSERT_EQ(page.body["items"].size(), 2U);
    const auto next =
        call("GET", "/api/projects/" + id + "/versions?limit=2&cursor=" + page.body["next_cursor"].get<std::string>());
    ASSERT_EQ(next.body["items"].size(), 1U);
    EXPECT_TRUE(next.body["next_cursor"].is_null());
}

TEST_F(VersionsTest, DownloadsAFileAtTheCurrentVersionAndAtAnEarlierOne) {
    EXPECT_EQ(file_at("scene.glb"), "two");
    EXPECT_EQ(file_at("scene.glb", first), "one");
    EXPECT_EQ(file_at("scene.glb", first.substr(0, 10)), "one");
}

TEST_F(VersionsTest, DownloadHasContentTypeAndAttachmentDisposition) {
    const auto glb = call("GET", "/api/projects/" + id + "/files/scene.glb");
    EXPECT_EQ(glb.headers.at("content-type"), "model/gltf-binary");
    EXPECT_EQ(glb.headers.at("content-disposition").rfind("attachment; filename=\"scene.glb\"", 0), 0U)
        << glb.headers.at("content-disposition");
    const auto text = call("GET", "/api/projects/" + id + "/files/notes.txt");
    EXPECT_EQ(text.headers.at("content-type"), "text/plain; charset=utf-8");
}

TEST_F(VersionsTest, MissingFilesAndRevisionsAre404AndMalformedRevisionsAre400) {
    EXPECT_EQ(call("GET", "/api/projects/" + id + "/files/nope.txt").status, 404);
    EXPECT_EQ(call("GET", "/api/projects/" + id + "/files/notes.txt?rev=" + first).status, 404);
    EXPECT_EQ(call("GET", "/api/projects/" + id + "/files/scene.glb?rev=" + std::string(40, 'a')).status, 404);
    EXPECT_EQ(call("GET", "/api/projects/" + id + "/files/scene.glb?rev=HEAD~1").status, 400);
    EXPECT_EQ(call("POST", "/api/projects/" + id + "/versions/" + std::string(40, 'a') + "/restore").status, 404);
    EXPECT_EQ(call("POST", "/api/projects/" + id + "/versions/main/restore").status, 400);
}

TEST_F(VersionsTest, RestoreMakesANewVersionWithTheOldFiles) {
    const auto restored = call("POST", "/api/projects/" + id + "/versions/" + first + "/restore");
    ASSERT_EQ(restored.status, 201) << restored.raw;
    const std::string rev = restored.body["rev"];
    EXPECT_NE(rev, first);
    EXPECT_NE(rev, second);
    EXPECT_EQ(restored.body["files"].size(), 2U) << restored.raw; // notes.txt deleted, scene.glb modified
    EXPECT_EQ(call("GET", "/api/projects/" + id).body["current_version"], rev);
    EXPECT_EQ(file_at("scene.glb"), "one");
    EXPECT_EQ(call("GET", "/api/projects/" + id + "/files/notes.txt").status, 404);
    // History is kept: the undone version is still there and downloadable.
    const auto versions = call("GET", "/api/projects/" + id + "/versions");
    ASSERT_EQ(versions.body["items"].size(), 4U);
    EXPECT_EQ(versions.body["items"][0]["rev"], rev);
    EXPECT_EQ(file_at("notes.txt", second), "hello");
}

TEST_F(VersionsTest, RefusesPathTraversalInFileDownloads) {
    const std::string base = "/api/projects/" + id + "/files/";
    for (const std::string path : {"../../token", "..%2F..%2Ftoken", "%2e%2e/%2e%2e/token", "a/../../token",
                                   "./scene.glb", "scene.glb/..", "%2Fetc%2Fpasswd", "a//b", "..\\token"}) {
        // Sent exactly as written: no client-side normalisation of the dots.
        const auto reply = http_request(hub->port(), "GET", base + path, {{"Authorization", hub->bearer()}});
        EXPECT_TRUE(reply.status == 400 || reply.status == 404) << path << " → " << reply.status;
        EXPECT_EQ(reply.body.find(hub->token()), std::string::npos) << path;
    }
}

} // namespace
} // namespace atelier::testing
