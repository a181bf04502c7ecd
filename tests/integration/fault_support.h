// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the fault tests (fault_*_test.cpp) share: the hub's config file, waiting with a deadline,
// raw TCP connections (from a chosen loopback address), a small full-able disk, versions as the hub
// lists them, versions made with the hub's own repository API, and `git fsck` of a repository.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub_process.h"
#include "rest_client.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::testing {

/// Waits for `condition` with a deadline (checked every 50 ms); its last value.
inline bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

/// Writes `<dir>/atelier.toml` and returns its path: the test engine (with `engine_args`) as the
/// `test` kind and, when `model_base_url` is set, a model of `provider` there (the fake model).
inline std::filesystem::path write_fault_config(const std::filesystem::path& dir,
                                                const std::vector<std::string>& engine_args = {},
                                                const std::string& model_base_url = {},
                                                const std::string& provider = "anthropic") {
    const auto file = dir / "atelier.toml";
    std::ofstream out(file);
    out << "[engines.test]\ncommand = [\"" << test_engine_binary() << "\"";
    for (const auto& arg : engine_args) {
        out << ", \"" << arg << "\"";
    }
    out << "]\n";
    if (!model_base_url.empty()) {
        out << "[model]\nprovider = \"" << provider << "\"\nmodel = \"fake-model\"\nbase_url = \"" << model_base_url
            << "\"\n";
    }
    return file;
}

/// A blocking TCP connection to 127.0.0.1:`port`, from the loopback address `source` when given
/// (e.g. "127.0.0.2": another client address on the same machine); -1 when it fails.
inline int connect_tcp(std::uint16_t port, const char* source = nullptr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (source != nullptr) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        ::inet_pton(AF_INET, source, &local.sin_addr);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            ::close(fd);
            return -1;
        }
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// A tmpfs of `megabytes` at a fresh directory, unmounted on destruction (mounting needs root:
/// check error() and skip, saying why).
class SmallDisk {
public:
    explicit SmallDisk(int megabytes) {
        const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0700";
        if (::mount("tmpfs", m_dir.path().c_str(), "tmpfs", 0, options.c_str()) != 0) {
            m_error = std::strerror(errno);
        }
    }
    ~SmallDisk() {
        if (m_error.empty()) {
            ::umount2(m_dir.path().c_str(), MNT_DETACH);
        }
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    [[nodiscard]] const std::string& error() const { return m_error; }
    [[nodiscard]] std::filesystem::path path() const { return m_dir.path() / "data"; }

    /// Writes a filler file until the disk refuses a byte more; returns the bytes written.
    std::uintmax_t fill() {
        std::ofstream filler(m_dir.path() / "filler", std::ios::binary);
        const std::string block(64 * 1024, 'x');
        std::uintmax_t written = 0;
        for (std::size_t size = block.size(); size > 0; size /= 2) {
            while (filler.write(block.data(), static_cast<std::streamsize>(size)).flush()) {
                written += size;
            }
            filler.clear();
        }
        return written;
    }
    /// Fills the disk but for `spare` bytes or a little more (whole 64 KB blocks).
    std::uintmax_t fill_leaving(std::uintmax_t spare) {
        std::ofstream filler(m_dir.path() / "filler", std::ios::binary);
        const std::string block(64 * 1024, 'x');
        std::uintmax_t written = 0;
        while (std::filesystem::space(m_dir.path()).available >= spare + 2 * block.size() &&
               filler.write(block.data(), static_cast<std::streamsize>(block.size())).flush()) {
            written += block.size();
        }
        return written;
    }
    void free_space() { std::filesystem::remove(m_dir.path() / "filler"); }

private:
    TempDir m_dir;
    std::string m_error;
};

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
