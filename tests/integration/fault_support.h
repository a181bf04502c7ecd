// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the fault tests (fault_*_test.cpp) share: versions as the hub lists them, versions made
// with the hub's own repository API, and `git fsck` of a project's repository.

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub_process.h"
#include "rest_client.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::testing {

inline std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937_64 generator(seed);
    std::string bytes(size, '\0');
    for (auto& byte : bytes) {
        byte = static_cast<char>(generator());
    }
    return bytes;
}

/// Every version rev the hub lists for `project`, following the cursor.
inline std::set<std::string> listed_versions(std::uint16_t port, const std::string& token, const std::string& project) {
    std::set<std::string> revs;
    std::string target = "/api/projects/" + project + "/versions?limit=100";
    while (true) {
        const auto page = rest(port, token, "GET", target);
        EXPECT_EQ(page.status, 200) << page.raw;
        if (page.status != 200) {
            return revs;
        }
        for (const auto& item : page.body["items"]) {
            revs.insert(item["rev"].get<std::string>());
        }
        if (page.body["next_cursor"].is_null()) {
            return revs;
        }
        target =
            "/api/projects/" + project + "/versions?limit=100&cursor=" + page.body["next_cursor"].get<std::string>();
    }
}

/// `git fsck --full --strict` on the project's repository: its exit code and output.
inline CommandResult fsck(const std::filesystem::path& data_dir, const std::string& project) {
    const auto repo = store::ProjectRepos(data_dir).path_of(project);
    EXPECT_TRUE(repo.has_value());
    // run_command does not search PATH.
    std::string git = "git";
    for (const auto* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
        if (std::filesystem::exists(std::filesystem::path(dir) / "git")) {
            git = std::string(dir) + "/git";
            break;
        }
    }
    return run_command({git, "--git-dir", repo->string(), "fsck", "--full", "--strict", "--no-progress"});
}

/// Commits `files` as a new version the way VersionsTest does (the hub's own repository API).
inline std::string commit_version(const std::filesystem::path& data_dir, const std::string& project,
                                  const std::map<std::string, std::string>& files, const std::string& message) {
    auto store = store::open_sqlite_store(data_dir);
    auto repo = store::ProjectRepos(data_dir).open(project);
    if (!store || !repo) {
        ADD_FAILURE() << "cannot open the hub's store or repository";
        return {};
    }
    TempDir tree;
    EXPECT_TRUE(repo->checkout("HEAD", tree.path()));
    for (const auto& [path, content] : files) {
        std::ofstream(tree.path() / path, std::ios::binary) << content;
    }
    const auto outcome = repo->commit(tree.path(), {"admin", "admin@atelier.local"}, message);
    EXPECT_TRUE(outcome && outcome->created);
    const auto admin = (*store)->find_user_by_name("admin");
    EXPECT_TRUE((*store)->add_version(admin->id, project, {outcome->revision, message, "admin"}));
    return outcome->revision;
}

} // namespace atelier::testing
