// SPDX-License-Identifier: Apache-2.0
// Store benchmark: how fast acknowledged writes are, through the Store and ProjectRepo APIs.
//
//   store_bench [--messages 2000] [--threads 1] [--postgres URL] [--dir DIR]
//
// Prints, for SQLite (always) and PostgreSQL (with --postgres): messages stored per second and
// the p50/p99 latency of one add_message (each one durable when it returns); then the time to
// commit a 50 MB binary file and a 200-file source tree into a project repository (first commit,
// then a commit after changing one file). Scratch data goes under --dir (default: the system temp
// dir); use a real disk, since fsync cost is the point.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "percentile.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using atelier::store::Store;

struct Options {
    int messages = 2000;
    int threads = 1;
    std::string postgres;
    fs::path dir = fs::temp_directory_path();
};

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--messages") {
            options.messages = std::stoi(value);
        } else if (flag == "--threads") {
            options.threads = std::max(1, std::stoi(value));
        } else if (flag == "--postgres") {
            options.postgres = value;
        } else if (flag == "--dir") {
            options.dir = value;
        }
    }
    return options;
}

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

using atelier::bench::percentile;

fs::path scratch_dir(const fs::path& parent, const char* name) {
    std::string pattern = (parent / (std::string(name) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        std::fprintf(stderr, "store_bench: cannot create a directory under %s\n", parent.c_str());
        std::exit(1);
    }
    return pattern;
}

/// add_message from `threads` threads, `messages` in all; prints rate and latency percentiles.
int bench_messages(const char* backend, Store& store, const Options& options) {
    const auto admin = store.ensure_admin("admin");
    if (!admin) {
        std::fprintf(stderr, "store_bench: %s: %s\n", backend, admin.error().message.c_str());
        return 1;
    }
    const auto project = store.create_project(admin->id, {"bench", "blender"});
    if (!project) {
        std::fprintf(stderr, "store_bench: %s: %s\n", backend, project.error().message.c_str());
        return 1;
    }
    const std::string content(200, 'm'); // about one chat line
    const int per_thread = options.messages / options.threads;
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(options.threads));
    std::atomic<int> failures{0};
    const auto started = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < options.threads; ++t) {
        workers.emplace_back([&, t] {
            auto& mine = latencies[static_cast<std::size_t>(t)];
            mine.reserve(static_cast<std::size_t>(per_thread));
            for (int i = 0; i < per_thread; ++i) {
                const auto begin = Clock::now();
                if (!store.add_message(admin->id, project->id, {"user", content, "[]"})) {
                    ++failures;
                }
                mine.push_back(ms_since(begin));
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    const double seconds = ms_since(started) / 1000.0;
    std::vector<double> all;
    for (const auto& mine : latencies) {
        all.insert(all.end(), mine.begin(), mine.end());
    }
    std::printf("%-8s messages: %zu stored by %d thread(s) in %.2f s = %.0f msg/s; add_message p50 %.3f ms, "
                "p99 %.3f ms, max %.3f ms; failures %d\n",
                backend, all.size(), options.threads, seconds, static_cast<double>(all.size()) / seconds,
                percentile(all, 0.50), percentile(all, 0.99), percentile(all, 1.0), failures.load());
    return failures == 0 ? 0 : 1;
}

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

/// Creates a project repository, commits `tree` into it twice (as is, then with `changed`
/// rewritten) and prints both times.
int bench_commit(const char* what, const fs::path& root, const fs::path& tree, const fs::path& changed) {
    const atelier::store::ProjectRepos repos(root);
    const atelier::store::CommitAuthor author{"bench", "bench@atelier.local"};
    auto repo = repos.create("bench", std::nullopt, author, "empty");
    if (!repo) {
        std::fprintf(stderr, "store_bench: %s\n", repo.error().message.c_str());
        return 1;
    }
    auto begin = Clock::now();
    const auto first = repo->commit(tree, author, "first");
    const double first_ms = ms_since(begin);
    std::ofstream(changed, std::ios::app) << "one more line\n";
    begin = Clock::now();
    const auto second = repo->commit(tree, author, "second");
    const double second_ms = ms_since(begin);
    if (!first || !second) {
        std::fprintf(stderr, "store_bench: commit failed\n");
        return 1;
    }
    std::printf("commit   %s: first commit %.1f ms, after changing one file %.1f ms\n", what, first_ms, second_ms);
    return 0;
}

int bench_commits(const Options& options) {
    int status = 0;
    {
        const fs::path root = scratch_dir(options.dir, "store-bench-blend");
        const fs::path tree = root / "tree";
        // Random bytes: git compresses, and a real .blend compresses far less than zeros would.
        std::string blob(50U << 20, '\0');
        std::mt19937_64 random(42);
        for (std::size_t i = 0; i + 8 <= blob.size(); i += 8) {
            const auto word = random();
            std::memcpy(blob.data() + i, &word, 8);
        }
        write_file(tree / "scene.blend", blob);
        status |= bench_commit("50 MB scene.blend", root, tree, tree / "scene.blend");
        fs::remove_all(root);
    }
    {
        const fs::path root = scratch_dir(options.dir, "store-bench-tree");
        const fs::path tree = root / "tree";
        for (int i = 0; i < 200; ++i) {
            std::string source;
            for (int line = 0; line < 60; ++line) {
                source += "export const value" + std::to_string(line) + " = " + std::to_string(i * line) + ";\n";
            }
            write_file(tree / "src" / ("dir" + std::to_string(i % 10)) / ("file" + std::to_string(i) + ".tsx"), source);
        }
        status |= bench_commit("200-file source tree (~2 KB each)", root, tree, tree / "src" / "dir0" / "file0.tsx");
        fs::remove_all(root);
    }
    return status;
}

} // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    int status = 0;
    {
        const fs::path dir = scratch_dir(options.dir, "store-bench-sqlite");
        auto store = atelier::store::open_sqlite_store(dir);
        if (!store) {
            std::fprintf(stderr, "store_bench: sqlite: %s\n", store.error().message.c_str());
            return 1;
        }
        status |= bench_messages("sqlite", **store, options);
        store->reset();
        fs::remove_all(dir);
    }
    if (!options.postgres.empty()) {
        auto store = atelier::store::open_postgres_store(options.postgres);
        if (!store) {
            std::fprintf(stderr, "store_bench: postgres: %s\n", store.error().message.c_str());
            return 1;
        }
        status |= bench_messages("postgres", **store, options);
    }
    status |= bench_commits(options);
    return status;
}
