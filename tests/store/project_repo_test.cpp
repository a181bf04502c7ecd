// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "store/project_repo.h"
#include "store/project_repos.h"

namespace atelier::store {
namespace {

namespace fs = std::filesystem;

const CommitAuthor kAlice{"Alice", "alice@example.org"};

std::string read_text(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::set<std::string> paths_of(const std::vector<FileChange>& changes, ChangeKind kind) {
    std::set<std::string> out;
    for (const auto& change : changes) {
        if (change.kind == kind) {
            out.insert(change.path);
        }
    }
    return out;
}

class ProjectRepoTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "atelier-repo-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        m_root = pattern;
        m_work = m_root / "sessions" / "s1";
        m_repos = std::make_unique<ProjectRepos>(m_root);
    }
    void TearDown() override {
        std::error_code error;
        fs::remove_all(m_root, error);
    }

    ProjectRepo create_empty() {
        auto repo = m_repos->create("p1", std::nullopt, kAlice, "New project");
        EXPECT_TRUE(repo) << repo.error().message;
        return std::move(*repo);
    }

    fs::path m_root;
    fs::path m_work;
    std::unique_ptr<ProjectRepos> m_repos;
};

TEST_F(ProjectRepoTest, CreatesABareRepoWithAFirstCommitOfAnEmptyTree) {
    ProjectRepo repo = create_empty();
    EXPECT_EQ(repo.path(), m_root / "projects" / "p1.git");
    EXPECT_TRUE(fs::exists(repo.path() / "HEAD"));
    EXPECT_FALSE(fs::exists(repo.path() / ".git")); // bare
    auto versions = repo.list_versions(10);
    ASSERT_TRUE(versions) << versions.error().message;
    ASSERT_EQ(versions->size(), 1u);
    EXPECT_EQ(versions->front().message, "New project");
    EXPECT_EQ(versions->front().author_name, "Alice");
    EXPECT_TRUE(versions->front().changes.empty());
    EXPECT_TRUE(repo.list_files("HEAD")->empty());
    EXPECT_EQ(m_repos->create("p1", std::nullopt, kAlice, "again").error().code, ErrorCode::Conflict);
}

TEST_F(ProjectRepoTest, CreatesTheFirstCommitFromATemplateWithoutItsRenders) {
    const fs::path templ = m_root / "template";
    write_text(templ / "src" / "Root.tsx", "export {}\n");
    write_text(templ / "package.json", "{}\n");
    write_text(templ / "renders" / "old.mp4", "video");
    auto repo = m_repos->create("p2", templ, kAlice, "From template");
    ASSERT_TRUE(repo) << repo.error().message;
    auto files = repo->list_files("HEAD");
    ASSERT_TRUE(files);
    ASSERT_EQ(files->size(), 2u);
    EXPECT_EQ((*files)[0].path, "package.json");
    EXPECT_EQ((*files)[1].path, "src/Root.tsx");
    EXPECT_EQ((*files)[1].size, 10u);
}

TEST_F(ProjectRepoTest, CommitRecordsAddedModifiedAndDeletedFilesPerVersion) {
    ProjectRepo repo = create_empty();
    ASSERT_TRUE(repo.checkout("HEAD", m_work));
    write_text(m_work / "scene.blend", "v1");
    write_text(m_work / "notes" / "a.txt", "a");
    auto first = repo.commit(m_work, kAlice, "add a cube");
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(first->created);

    write_text(m_work / "scene.blend", "v2");
    fs::remove_all(m_work / "notes");
    write_text(m_work / "scene.glb", "glb");
    auto second = repo.commit(m_work, kAlice, "make it red");
    ASSERT_TRUE(second) << second.error().message;

    auto versions = repo.list_versions(10);
    ASSERT_TRUE(versions);
    ASSERT_EQ(versions->size(), 3u);
    const RepoVersion& newest = (*versions)[0];
    EXPECT_EQ(newest.revision, second->revision);
    EXPECT_EQ(newest.parent, first->revision);
    EXPECT_EQ(newest.message, "make it red");
    EXPECT_EQ(paths_of(newest.changes, ChangeKind::Modified), std::set<std::string>{"scene.blend"});
    EXPECT_EQ(paths_of(newest.changes, ChangeKind::Deleted), std::set<std::string>{"notes/a.txt"});
    EXPECT_EQ(paths_of(newest.changes, ChangeKind::Added), std::set<std::string>{"scene.glb"});
    EXPECT_EQ(paths_of((*versions)[1].changes, ChangeKind::Added),
              (std::set<std::string>{"notes/a.txt", "scene.blend"}));

    auto paged = repo.list_versions(1, (*versions)[1].revision);
    ASSERT_TRUE(paged);
    ASSERT_EQ(paged->size(), 1u);
    EXPECT_EQ(paged->front().revision, first->revision);
}

TEST_F(ProjectRepoTest, CommittingAnUnchangedTreeMakesNoNewVersion) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "a.txt", "a");
    auto first = repo.commit(m_work, kAlice, "one");
    ASSERT_TRUE(first);
    auto again = repo.commit(m_work, kAlice, "nothing changed");
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->created);
    EXPECT_EQ(again->revision, first->revision);
    EXPECT_EQ(repo.list_versions(10)->size(), 2u);
}

TEST_F(ProjectRepoTest, ACommitOnAStaleBaseIsAConflictAndCanBeKeptAside) {
    ProjectRepo repo = create_empty();
    const std::string base = *repo.resolve("HEAD");
    // Someone else moves the branch (another hub, a restore) while this tree was being edited.
    const fs::path other = m_root / "sessions" / "s2";
    write_text(other / "theirs.txt", "theirs");
    ASSERT_TRUE(repo.commit(other, kAlice, "theirs", base));
    const std::string theirs = *repo.resolve("HEAD");

    write_text(m_work / "mine.txt", "mine");
    auto stale = repo.commit(m_work, kAlice, "mine", base);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, ErrorCode::Conflict);
    EXPECT_EQ(*repo.resolve("HEAD"), theirs); // nothing replaced

    auto kept = repo.keep_aside(m_work, kAlice, "mine (kept)", base, "s1-1");
    ASSERT_TRUE(kept) << kept.error().message;
    EXPECT_EQ(*repo.resolve("HEAD"), theirs);
    EXPECT_EQ(*repo.read_file(*kept, "mine.txt"), "mine");
    EXPECT_EQ(repo.version(*kept)->parent, base);
    // A kept change is restorable like any version.
    auto restored = repo.restore(*kept, kAlice, "");
    ASSERT_TRUE(restored);
    EXPECT_EQ(*repo.read_file("HEAD", "mine.txt"), "mine");
    EXPECT_FALSE(repo.keep_aside(m_work, kAlice, "bad name", base, "../x"));
}

TEST_F(ProjectRepoTest, RendersAndNodeModulesAreNotCommittedAndSurviveCheckout) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "src" / "Video.tsx", "code");
    write_text(m_work / "renders" / "out.mp4", std::string(1000, 'v'));
    write_text(m_work / "node_modules" / "react" / "index.js", "lib");
    write_text(m_work / "src" / "renders" / "kept.txt", "only the top-level renders/ is excluded");
    auto commit = repo.commit(m_work, kAlice, "video");
    ASSERT_TRUE(commit);
    auto files = repo.list_files("HEAD");
    ASSERT_TRUE(files);
    std::set<std::string> paths;
    for (const auto& file : *files) {
        paths.insert(file.path);
    }
    EXPECT_EQ(paths, (std::set<std::string>{"src/Video.tsx", "src/renders/kept.txt"}));

    ASSERT_TRUE(repo.checkout("HEAD", m_work));
    EXPECT_EQ(read_text(m_work / "renders" / "out.mp4").size(), 1000u);
    EXPECT_TRUE(fs::exists(m_work / "node_modules" / "react" / "index.js"));
}

TEST_F(ProjectRepoTest, CheckoutMakesTheWorkingTreeEqualAnOlderVersion) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "a.txt", "old a");
    write_text(m_work / "tool.sh", "#!/bin/sh\n");
    fs::permissions(m_work / "tool.sh", fs::perms::owner_exec, fs::perm_options::add);
    auto old_version = repo.commit(m_work, kAlice, "old");
    ASSERT_TRUE(old_version);
    write_text(m_work / "a.txt", "new a");
    write_text(m_work / "dir" / "b.txt", "b");
    ASSERT_TRUE(repo.commit(m_work, kAlice, "new"));

    const fs::path other = m_root / "sessions" / "s2";
    ASSERT_TRUE(repo.checkout(old_version->revision, m_work));
    EXPECT_EQ(read_text(m_work / "a.txt"), "old a");
    EXPECT_FALSE(fs::exists(m_work / "dir"));
    EXPECT_NE(fs::status(m_work / "tool.sh").permissions() & fs::perms::owner_exec, fs::perms::none);
    ASSERT_TRUE(repo.checkout("HEAD", other));
    EXPECT_EQ(read_text(other / "dir" / "b.txt"), "b");
    EXPECT_EQ(repo.checkout("0123456789abcdef0123456789abcdef01234567", other).error().code, ErrorCode::NotFound);
}

TEST_F(ProjectRepoTest, CheckoutNeverWritesThroughASymlink) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "sub" / "file.txt", "inside");
    ASSERT_TRUE(repo.commit(m_work, kAlice, "one"));
    const fs::path outside = m_root / "outside";
    fs::create_directories(outside);
    fs::remove_all(m_work / "sub");
    fs::create_directory_symlink(outside, m_work / "sub");
    ASSERT_TRUE(repo.checkout("HEAD", m_work));
    EXPECT_FALSE(fs::exists(outside / "file.txt"));
    EXPECT_FALSE(fs::is_symlink(m_work / "sub"));
    EXPECT_EQ(read_text(m_work / "sub" / "file.txt"), "inside");
}

TEST_F(ProjectRepoTest, RestoreAddsANewCommitWhoseTreeEqualsTheOldOne) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "scene.blend", "v1");
    auto first = repo.commit(m_work, kAlice, "v1");
    ASSERT_TRUE(first);
    write_text(m_work / "scene.blend", "v2");
    write_text(m_work / "extra.txt", "x");
    auto second = repo.commit(m_work, kAlice, "v2");
    ASSERT_TRUE(second);

    auto restored = repo.restore(first->revision, kAlice, "");
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_NE(*restored, first->revision);
    auto versions = repo.list_versions(10);
    ASSERT_TRUE(versions);
    ASSERT_EQ(versions->size(), 4u); // nothing rewritten: initial, v1, v2, restore
    EXPECT_EQ((*versions)[0].revision, *restored);
    EXPECT_EQ((*versions)[0].parent, second->revision);
    EXPECT_TRUE((*versions)[0].message.starts_with("Restore "));
    EXPECT_EQ(paths_of((*versions)[0].changes, ChangeKind::Deleted), std::set<std::string>{"extra.txt"});
    EXPECT_EQ(*repo.read_file(*restored, "scene.blend"), "v1");
    EXPECT_TRUE(repo.diff(first->revision, *restored)->files.empty());
    EXPECT_EQ(*repo.read_file(second->revision, "scene.blend"), "v2");
}

TEST_F(ProjectRepoTest, ReadsAFileAsItWasAtARevision) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "dir" / "a.txt", "first");
    auto first = repo.commit(m_work, kAlice, "1");
    write_text(m_work / "dir" / "a.txt", "second");
    auto second = repo.commit(m_work, kAlice, "2");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(*repo.read_file(first->revision, "dir/a.txt"), "first");
    EXPECT_EQ(*repo.read_file("HEAD", "dir/a.txt"), "second");
    EXPECT_EQ(*repo.read_file(first->revision.substr(0, 10), "dir/a.txt"), "first");
    EXPECT_EQ(repo.read_file("HEAD", "dir/missing.txt").error().code, ErrorCode::NotFound);
    EXPECT_EQ(repo.read_file("HEAD", "dir").error().code, ErrorCode::NotFound);
}

TEST_F(ProjectRepoTest, FilePathsThatCouldEscapeTheTreeAreRefused) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "a.txt", "a");
    ASSERT_TRUE(repo.commit(m_work, kAlice, "1"));
    for (const std::string path : {"../a.txt", "/etc/passwd", "dir/../a.txt", "./a.txt", "", "a//b", "..", "a\\b"}) {
        auto read = repo.read_file("HEAD", path);
        ASSERT_FALSE(read) << path;
        EXPECT_EQ(read.error().code, ErrorCode::InvalidArgument) << path;
    }
}

TEST_F(ProjectRepoTest, ProjectIdsThatAreNotPlainNamesAreRefused) {
    for (const std::string id : {"../x", "a/b", "", ".", "x y"}) {
        EXPECT_EQ(m_repos->path_of(id).error().code, ErrorCode::InvalidArgument) << id;
    }
    EXPECT_EQ(m_repos->open("nope").error().code, ErrorCode::NotFound);
}

TEST_F(ProjectRepoTest, DiffSummaryCountsChangedLines) {
    ProjectRepo repo = create_empty();
    write_text(m_work / "a.txt", "1\n2\n3\n");
    write_text(m_work / "image.png", std::string("\x89PNG\0\0\0", 7) + std::string(100, '\0'));
    auto first = repo.commit(m_work, kAlice, "1");
    write_text(m_work / "a.txt", "1\nTWO\n3\n4\n");
    write_text(m_work / "image.png", std::string("\x89PNG\0\1\0", 7) + std::string(100, '\1'));
    auto second = repo.commit(m_work, kAlice, "2");
    ASSERT_TRUE(first && second);
    auto diff = repo.diff(first->revision, second->revision);
    ASSERT_TRUE(diff) << diff.error().message;
    ASSERT_EQ(diff->files.size(), 2u);
    EXPECT_EQ(diff->additions, 2u);
    EXPECT_EQ(diff->deletions, 1u);
    EXPECT_TRUE(diff->files[1].binary);
    EXPECT_EQ(diff->files[1].path, "image.png");
}

TEST_F(ProjectRepoTest, FiftyMegabyteBinaryFileCommitsChecksOutAndDownloads) {
    ProjectRepo repo = create_empty();
    std::string data(50u * 1024 * 1024, '\0');
    std::mt19937_64 random(42);
    for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
        const std::uint64_t value = random();
        std::memcpy(data.data() + i, &value, 8); // incompressible, like a real .blend
    }
    write_text(m_work / "scene.blend", data);
    const auto started = std::chrono::steady_clock::now();
    auto commit = repo.commit(m_work, kAlice, "big");
    const auto committed = std::chrono::steady_clock::now();
    ASSERT_TRUE(commit) << commit.error().message;
    const fs::path other = m_root / "sessions" / "s2";
    ASSERT_TRUE(repo.checkout(commit->revision, other));
    const auto checked_out = std::chrono::steady_clock::now();
    EXPECT_EQ(fs::file_size(other / "scene.blend"), data.size());
    EXPECT_TRUE(read_text(other / "scene.blend") == data);
    auto downloaded = repo.read_file(commit->revision, "scene.blend");
    ASSERT_TRUE(downloaded);
    EXPECT_TRUE(*downloaded == data);
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    std::cout << "[ info ] 50 MB commit " << duration_cast<milliseconds>(committed - started).count()
              << " ms, checkout " << duration_cast<milliseconds>(checked_out - committed).count() << " ms\n";
}

// A writer process commits in a loop and reports each acknowledged revision; it is killed at a
// random moment, most likely in the middle of writing objects. The repository must open, HEAD must
// be a complete commit, and every acknowledged revision must still be readable.
TEST_F(ProjectRepoTest, KillingAWriterMidCommitLeavesThePreviousVersionIntact) {
    { ProjectRepo created = create_empty(); }
    int pipe_ends[2];
    ASSERT_EQ(::pipe(pipe_ends), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipe_ends[0]);
        auto repo = m_repos->open("p1");
        if (!repo) {
            ::_exit(2);
        }
        for (int i = 0;; ++i) {
            write_text(m_work / "scene.blend",
                       std::string(4u * 1024 * 1024, static_cast<char>('a' + i % 26)) + std::to_string(i));
            auto commit = repo->commit(m_work, kAlice, "v" + std::to_string(i));
            if (!commit) {
                ::_exit(3);
            }
            char revision[41] = {};
            std::memcpy(revision, commit->revision.data(), 40);
            if (::write(pipe_ends[1], revision, 40) != 40) {
                ::_exit(4);
            }
        }
    }
    ::close(pipe_ends[1]);
    std::vector<std::string> acknowledged;
    char buffer[40];
    const auto read_revision = [&] {
        std::size_t got = 0;
        while (got < sizeof buffer) {
            const ssize_t n = ::read(pipe_ends[0], buffer + got, sizeof buffer - got);
            if (n <= 0) {
                return false;
            }
            got += static_cast<std::size_t>(n);
        }
        acknowledged.emplace_back(buffer, sizeof buffer);
        return true;
    };
    while (acknowledged.size() < 3 && read_revision()) {
    }
    ::usleep(static_cast<useconds_t>(std::random_device()() % 40000)); // land somewhere inside a commit
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    while (read_revision()) {
    }
    ::close(pipe_ends[0]);
    ASSERT_GE(acknowledged.size(), 3u);

    auto repo = m_repos->open("p1");
    ASSERT_TRUE(repo) << repo.error().message;
    auto head = repo->version("HEAD");
    ASSERT_TRUE(head) << head.error().message;
    auto content = repo->read_file("HEAD", "scene.blend");
    ASSERT_TRUE(content) << content.error().message;
    EXPECT_EQ(content->size(), 4u * 1024 * 1024 + head->message.size() - 1);
    auto history = repo->list_versions(1000);
    ASSERT_TRUE(history);
    std::set<std::string> reachable;
    for (const auto& version : *history) {
        reachable.insert(version.revision);
    }
    for (const auto& revision : acknowledged) {
        EXPECT_TRUE(reachable.contains(revision)) << revision;
        EXPECT_TRUE(repo->read_file(revision, "scene.blend")) << revision;
    }
    // HEAD is the last acknowledged commit, or one the writer finished but had not reported yet.
    EXPECT_TRUE(head->revision == acknowledged.back() || head->parent == acknowledged.back());
}

} // namespace
} // namespace atelier::store
