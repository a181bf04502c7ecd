// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "store/database.h"
#include "store/store.h"

namespace atelier::store {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "atelier-durability-XXXXXX").string();
        path = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
    }
    ~TempDir() {
        std::error_code error;
        fs::remove_all(path, error);
    }
    fs::path path;
};

bool read_exact(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t got = ::read(fd, bytes, size);
        if (got <= 0) {
            return false;
        }
        bytes += got;
        size -= static_cast<std::size_t>(got);
    }
    return true;
}

// The child: writes messages as fast as it can and reports each id once add_message returned,
// i.e. once the write was acknowledged. It never stops by itself; the parent kills it.
[[noreturn]] void write_until_killed(const fs::path& directory, const std::string& user_id,
                                     const std::string& project_id, int report_fd) {
    auto store = open_sqlite_store(directory);
    if (!store) {
        ::_exit(2);
    }
    for (int i = 0;; ++i) {
        auto message =
            (*store)->add_message(user_id, project_id, NewMessage{"user", "burst " + std::to_string(i), "[]"});
        if (!message) {
            ::_exit(3);
        }
        const std::int64_t id = message->id;
        if (::write(report_fd, &id, sizeof id) != static_cast<ssize_t>(sizeof id)) {
            ::_exit(4);
        }
    }
}

TEST(SqliteDurability, EveryAcknowledgedWriteSurvivesKill9) {
    TempDir directory;
    ASSERT_FALSE(directory.path.empty());
    std::string user_id;
    std::string project_id;
    {
        auto store = open_sqlite_store(directory.path);
        ASSERT_TRUE(store) << store.error().message;
        user_id = (*store)->create_user(NewUser{"alice", std::nullopt, UserRole::Member})->id;
        project_id = (*store)->create_project(user_id, NewProject{"burst", "blender"})->id;
    }

    int pipe_ends[2];
    ASSERT_EQ(::pipe(pipe_ends), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipe_ends[0]);
        write_until_killed(directory.path, user_id, project_id, pipe_ends[1]);
    }
    ::close(pipe_ends[1]);

    // Kill it in the middle of the burst: after 150 acknowledged writes, with more in flight.
    std::set<std::int64_t> acknowledged;
    const auto started = std::chrono::steady_clock::now();
    std::int64_t id = 0;
    while (acknowledged.size() < 150 && read_exact(pipe_ends[0], &id, sizeof id)) {
        acknowledged.insert(id);
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself with status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    // Ids the child reported between our last read and its death were acknowledged too.
    while (read_exact(pipe_ends[0], &id, sizeof id)) {
        acknowledged.insert(id);
    }
    ::close(pipe_ends[0]);
    ASSERT_GE(acknowledged.size(), 150u);
    std::cout << "[ info ] " << acknowledged.size() << " acknowledged writes, first 150 in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";

    auto database = open_sqlite_database(directory.path / "atelier.db");
    ASSERT_TRUE(database) << database.error().message;
    auto check = (*database)->query("PRAGMA integrity_check", {});
    ASSERT_TRUE(check);
    EXPECT_EQ(check->front().text(0), "ok");

    auto store = open_sqlite_store(directory.path);
    ASSERT_TRUE(store) << store.error().message;
    std::set<std::int64_t> stored;
    PageRequest page{kMaxPageLimit, ""};
    do {
        auto listed = (*store)->list_messages(user_id, project_id, page);
        ASSERT_TRUE(listed) << listed.error().message;
        for (const auto& message : listed->items) {
            stored.insert(message.id);
        }
        page.cursor = listed->next_cursor;
    } while (!page.cursor.empty());
    for (const std::int64_t acked : acknowledged) {
        EXPECT_TRUE(stored.contains(acked)) << "acknowledged message " << acked << " is missing";
    }
}

} // namespace
} // namespace atelier::store
