// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): the data dir runs out of space. The hub's data dir is
// a small tmpfs (mounted by the test; it needs root, and says so when it skips); a filler file
// takes every free byte. Writes must fail with a clear error, nothing half-written may be
// acknowledged, reads go on, and writes work again once space returns — also after a restart,
// with a repository that passes `git fsck`.
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fault_support.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

std::size_t version_count(std::uint16_t port, const std::string& token, const std::string& project) {
    const auto page = rest(port, token, "GET", "/api/projects/" + project + "/versions?limit=100");
    EXPECT_EQ(page.status, 200) << page.raw;
    return page.status == 200 ? page.body["items"].size() : 0;
}

TEST(FaultDisk, AFullDataDirFailsWritesClearlyKeepsReadsAndRecovers) {
    SmallDisk disk(48);
    if (!disk.error().empty()) {
        GTEST_SKIP() << "cannot mount a tmpfs for the disk-full test (needs root): " << disk.error();
    }
    std::filesystem::create_directories(disk.path());
    auto hub = HubProcess::start({.data_dir = disk.path()});
    const std::uint16_t port = hub->port();
    const std::string token = hub->token();
    const std::string project = create_project(port, token, "before the disk filled");
    ASSERT_FALSE(project.empty());
    // Two versions to restore in turn, so that every restore writes a new one.
    const std::string revs[2] = {rest(port, token, "GET", "/api/projects/" + project).body["current_version"],
                                 commit_version(disk.path(), project, {{"notes.txt", "two"}}, "two")};
    const std::size_t versions_before = version_count(port, token, project);

    ASSERT_GT(disk.fill(), 0U);
    // Writes: a clear error, never a success the store does not hold.
    std::set<std::string> acknowledged_projects;
    int refused = 0;
    for (int attempt = 0; attempt < 5; ++attempt) {
        const auto created =
            rest_json(port, token, "POST", "/api/projects",
                      nlohmann::json{{"name", "disk full " + std::to_string(attempt)}, {"kind", "blender"}});
        if (created.status == 201) {
            acknowledged_projects.insert(created.body["id"].get<std::string>());
            continue;
        }
        ++refused;
        EXPECT_GE(created.status, 500) << created.raw;
        ASSERT_TRUE(created.body.is_object() && created.body.contains("error")) << created.raw;
        EXPECT_FALSE(created.body["error"]["message"].get<std::string>().empty()) << created.raw;
    }
    EXPECT_GT(refused, 0) << "every project creation succeeded on a full disk";
    // Reads go on.
    EXPECT_EQ(rest(port, token, "GET", "/api/projects").status, 200);
    EXPECT_EQ(version_count(port, token, project), versions_before);
    EXPECT_EQ(rest(port, token, "GET", "/api/health").status, 200);

    // Space returns: writes work again, without a restart.
    disk.free_space();
    const auto after = rest_json(port, token, "POST", "/api/projects",
                                 nlohmann::json{{"name", "after the disk freed"}, {"kind", "blender"}});
    EXPECT_EQ(after.status, 201) << after.raw;
    const std::string current = rest(port, token, "GET", "/api/projects/" + project).body["current_version"];
    const auto restored_after = rest(
        port, token, "POST", "/api/projects/" + project + "/versions/" + revs[current == revs[0] ? 1 : 0] + "/restore");
    EXPECT_EQ(restored_after.status, 201) << restored_after.raw;

    // And after a restart every acknowledged write is there, and the repository is sound.
    hub.reset();
    auto restarted = HubProcess::start({.data_dir = disk.path()});
    for (const auto& id : acknowledged_projects) {
        EXPECT_EQ(rest(restarted->port(), restarted->token(), "GET", "/api/projects/" + id).status, 200) << id;
    }
    EXPECT_EQ(version_count(restarted->port(), restarted->token(), project),
              versions_before + (restored_after.status == 201 ? 1 : 0));
    const auto check = fsck(disk.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// A restore writes one commit object and moves the branch. libgit2 1.5's git_commit_create answers
// success when that object's write fails with ENOSPC (the id names nothing, the branch stays): the
// hub used to call the missing commit "no revision" and answer 404. Now the store checks the object
// exists and asks the file system why: a 503 that says the disk is full, and nothing acknowledged.
TEST(FaultDisk, ARestoreOnAFullDiskSaysTheDiskIsFullAndAcknowledgesNothing) {
    SmallDisk disk(48);
    if (!disk.error().empty()) {
        GTEST_SKIP() << "cannot mount a tmpfs for the disk-full test (needs root): " << disk.error();
    }
    std::filesystem::create_directories(disk.path());
    auto hub = HubProcess::start({.data_dir = disk.path()});
    const std::uint16_t port = hub->port();
    const std::string token = hub->token();
    const std::string project = create_project(port, token, "restores on a full disk");
    ASSERT_FALSE(project.empty());
    const std::string revs[2] = {rest(port, token, "GET", "/api/projects/" + project).body["current_version"],
                                 commit_version(disk.path(), project, {{"notes.txt", "two"}}, "two")};
    const std::size_t versions_before = version_count(port, token, project);
    ASSERT_GT(disk.fill(), 0U);
    std::size_t acknowledged = 0;
    int refused = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto restored =
            rest(port, token, "POST", "/api/projects/" + project + "/versions/" + revs[attempt % 2] + "/restore");
        if (restored.status == 201) {
            ++acknowledged;
            continue;
        }
        ++refused;
        EXPECT_EQ(restored.status, 503) << restored.raw;
        ASSERT_TRUE(restored.body.is_object() && restored.body.contains("error")) << restored.raw;
        EXPECT_EQ(restored.body["error"]["code"], "unavailable") << restored.raw;
        EXPECT_NE(restored.body["error"]["message"].get<std::string>().find("the data disk is full"), std::string::npos)
            << restored.raw;
    }
    EXPECT_GT(refused, 0) << "every restore succeeded on a full disk";
    EXPECT_EQ(version_count(port, token, project), versions_before + acknowledged);
    // The branch never pointed at a commit that was not written: the project reads, and once space
    // returns the next restore succeeds on top of the last acknowledged version.
    const std::string current = rest(port, token, "GET", "/api/projects/" + project).body["current_version"];
    EXPECT_TRUE(current == revs[0] || current == revs[1] || acknowledged > 0) << current;
    disk.free_space();
    const auto after = rest(port, token, "POST",
                            "/api/projects/" + project + "/versions/" + revs[current == revs[0] ? 1 : 0] + "/restore");
    EXPECT_EQ(after.status, 201) << after.raw;
    EXPECT_EQ(version_count(port, token, project), versions_before + acknowledged + 1);
    hub.reset();
    auto repo = store::ProjectRepos(disk.path()).open(project);
    ASSERT_TRUE(repo.has_value());
    const auto restored = repo->version("HEAD");
    ASSERT_TRUE(restored.has_value()) << restored.error().message;
    EXPECT_EQ(restored->revision, after.body.value("rev", "")) << after.raw;
    EXPECT_EQ(restored->parent, current);
    const auto check = fsck(disk.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// A session's commits on a full disk. The engine saves (it reports a write that failed, as Blender
// does) and the hub commits the working tree: either step can be the one that runs out of space.
// Every command answers: a version, or a save_error that says why; no version is named that the
// project does not list; and once space returns the same session commits again — no conflict, no
// kept-aside version, no restart.
class FaultDiskSession : public SessionTest {};

TEST_F(FaultDiskSession, ACommitOnAFullDiskFailsClearlyAndTheSessionCommitsOnceSpaceReturns) {
    SmallDisk disk(64);
    if (!disk.error().empty()) {
        GTEST_SKIP() << "cannot mount a tmpfs for the disk-full test (needs root): " << disk.error();
    }
    std::filesystem::create_directories(disk.path());
    const auto file = write_fault_config(config_dir.path(), {"--save-bytes", "1048576"});
    const std::vector<std::string> args{"--config", file.string(), "--session-grace", "1"};
    hub = HubProcess::start({.args = args, .data_dir = disk.path()});
    const std::string project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());
    int next_name = 0;
    const auto command = [&] {
        tab.send("command:send",
                 {{"tool", "scene__create_object"}, {"arguments", {{"name", "o" + std::to_string(next_name++)}}}});
        return tab.next("command:result", std::chrono::seconds(120));
    };
    std::set<std::string> acknowledged;
    const auto first = command();
    ASSERT_FALSE(first.is_null()) << hub->log();
    ASSERT_TRUE(first["payload"].contains("version")) << first.dump();
    acknowledged.insert(first["payload"]["version"].get<std::string>());

    ASSERT_GT(disk.fill(), 0U);
    int refused = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto result = command();
        ASSERT_FALSE(result.is_null()) << "a command on a full disk never answered\n" << hub->log();
        if (result["payload"].contains("version")) {
            acknowledged.insert(result["payload"]["version"].get<std::string>());
            continue;
        }
        ++refused;
        const std::string reason = result["payload"].value("save_error", "");
        EXPECT_TRUE(reason.find("the data disk is full") != std::string::npos ||
                    reason.find("No space left on device") != std::string::npos)
            << result.dump();
    }
    EXPECT_GT(refused, 0) << "every commit succeeded on a full disk";
    // Reads go on, and every version a result named is listed (and nothing else was added).
    const auto listed_full = listed_versions(hub->port(), hub->token(), project);
    for (const auto& rev : acknowledged) {
        EXPECT_TRUE(listed_full.contains(rev)) << rev;
    }

    disk.free_space();
    const auto recovered = command();
    ASSERT_FALSE(recovered.is_null()) << hub->log();
    ASSERT_TRUE(recovered["payload"].contains("version")) << recovered.dump();
    acknowledged.insert(recovered["payload"]["version"].get<std::string>());
    EXPECT_TRUE(tab.all("version:conflict").empty()) << json(tab.seen).dump();
    const auto scene = rest(hub->port(), hub->token(), "GET",
                            "/api/projects/" + project +
                                "/files/scene.json?rev=" + recovered["payload"]["version"].get<std::string>());
    EXPECT_NE(scene.raw.find("o" + std::to_string(next_name - 1)), std::string::npos) << scene.raw;

    // After a restart every acknowledged version is there and the repository is sound.
    hub.reset();
    hub = HubProcess::start({.args = args, .data_dir = disk.path()});
    const auto listed = listed_versions(hub->port(), hub->token(), project);
    for (const auto& rev : acknowledged) {
        EXPECT_TRUE(listed.contains(rev)) << "acknowledged version " << rev << " is missing after the restart";
    }
    EXPECT_EQ(listed.size(), listed_full.size() + 1);
    hub.reset();
    const auto check = fsck(disk.path(), project);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

} // namespace
} // namespace atelier::testing
