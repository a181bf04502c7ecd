// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/repo_diff.h"

struct git_repository;

namespace atelier::store {

/// Who a commit is by. libgit2 refuses names or emails containing '<', '>' or newlines.
struct CommitAuthor {
    std::string name;
    std::string email;
};

enum class ChangeKind { Added, Modified, Deleted };

struct FileChange {
    std::string path;
    ChangeKind kind = ChangeKind::Modified;
};

/// One commit of a project's history with the files it changed against its parent.
struct RepoVersion {
    std::string revision; // 40 hex digits
    std::string parent;   // empty for the first commit
    std::string message;
    std::string author_name;
    std::string author_email;
    std::int64_t time_ms = 0;
    std::vector<FileChange> changes;
};

struct FileDiff {
    std::string path;
    ChangeKind kind = ChangeKind::Modified;
    std::size_t additions = 0; // lines; 0 for binary files
    std::size_t deletions = 0;
    bool binary = false;
};

struct DiffSummary {
    std::vector<FileDiff> files;
    std::size_t additions = 0;
    std::size_t deletions = 0;
};

struct RepoFile {
    std::string path;
    std::uint64_t size = 0;
};

struct CommitOutcome {
    std::string revision;
    /// False when the working tree equalled HEAD: no commit was made and `revision` is HEAD.
    bool created = false;
};

/// One change of ProjectRepo::commit_files: with a `source`, the file at `path` becomes that
/// file's bytes (read from disk in pieces, never whole in memory); without, `path` is deleted.
struct FileEdit {
    std::string path;
    std::optional<std::filesystem::path> source;
};

/// A project's files: one bare git repository whose `main` branch is the project's history.
/// Working trees live elsewhere (sessions/<id>/) and are synchronised with checkout/commit.
///
/// What is committed: every regular file under the working tree except `renders/` and `exports/` at the top
/// level and `.git`/`node_modules` anywhere; the executable bit is kept; symlinks, sockets and
/// empty directories are not.
///
/// Durability: libgit2 writes each object to a temporary file and renames it into place, then
/// moves the branch by writing `refs/heads/main.lock` and renaming it over the ref; with
/// GIT_OPT_ENABLE_FSYNC_GITDIR (on) every step is fsynced first. A crash at any point before the
/// rename leaves the ref at the previous commit (unreferenced objects are harmless); after it,
/// the new commit is complete. History is never rewritten: restore adds a commit.
///
/// Thread-safety: all methods may be called from several threads (an internal mutex serialises
/// them). Two processes committing at once: the second sees Conflict (its parent moved).
class ProjectRepo {
public:
    /// Creates the bare repository at `bare_path` (Conflict when something is already there) with
    /// a first commit of `template_dir`'s files, or of an empty tree when there is none.
    [[nodiscard]] static Result<ProjectRepo> create(const std::filesystem::path& bare_path,
                                                    const std::optional<std::filesystem::path>& template_dir,
                                                    const CommitAuthor& author, std::string_view message);
    /// NotFound when there is no repository at `bare_path`.
    [[nodiscard]] static Result<ProjectRepo> open(const std::filesystem::path& bare_path);

    ProjectRepo(ProjectRepo&& other) noexcept;
    ProjectRepo& operator=(ProjectRepo&& other) noexcept;
    ProjectRepo(const ProjectRepo&) = delete;
    ProjectRepo& operator=(const ProjectRepo&) = delete;
    ~ProjectRepo();

    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

    /// The full id of the commit `revision` names ("HEAD", a full or abbreviated id).
    /// NotFound when it names nothing or something that is not a commit.
    [[nodiscard]] Result<std::string> resolve(std::string_view revision);

    /// Makes `working_tree` (created if missing) hold exactly the files of `revision`; files the
    /// revision lacks are deleted, the excluded names (renders/, node_modules) are left alone.
    [[nodiscard]] Result<void> checkout(std::string_view revision, const std::filesystem::path& working_tree);

    /// Commits the working tree's full state (new, changed and deleted files) on top of HEAD.
    /// `base` is the version the tree was checked out from: when it is given and HEAD has moved
    /// past it, nothing is committed and the answer is Conflict (a stale writer never replaces a
    /// newer version). A tree equal to HEAD's is no change (`created` false), whatever the base.
    [[nodiscard]] Result<CommitOutcome> commit(const std::filesystem::path& working_tree, const CommitAuthor& author,
                                               std::string_view message, std::string_view base = {});

    /// Commits `edits` on top of HEAD without a working tree (uploads and deletes through REST when
    /// no session holds the project). `base` as for commit(): Conflict when HEAD has moved past
    /// it. InvalidArgument for a bad path, NotFound when a deleted path is not in HEAD. Edits that
    /// change nothing make no commit (`created` false).
    [[nodiscard]] Result<CommitOutcome> commit_files(const std::vector<FileEdit>& edits, const CommitAuthor& author,
                                                     std::string_view message, std::string_view base = {});

    /// Keeps a refused change: commits the working tree on top of `base` (HEAD when empty or
    /// unknown) under `refs/atelier/kept/<name>`, leaving the branch alone. The revision returned
    /// can be restored like any version. `name`: 1-64 letters, digits, '-' or '_'.
    [[nodiscard]] Result<std::string> keep_aside(const std::filesystem::path& working_tree, const CommitAuthor& author,
                                                 std::string_view message, std::string_view base,
                                                 std::string_view name);

    /// A new commit on top of HEAD whose tree equals `revision`'s. Returns the new revision.
    /// An empty `message` becomes "Restore <short id>".
    [[nodiscard]] Result<std::string> restore(std::string_view revision, const CommitAuthor& author,
                                              std::string_view message);

    /// Up to `limit` commits, newest first, starting at `start` (empty = HEAD) and following
    /// first parents, each with its changed files.
    [[nodiscard]] Result<std::vector<RepoVersion>> list_versions(std::size_t limit, std::string_view start = {});

    /// One commit with its changed files.
    [[nodiscard]] Result<RepoVersion> version(std::string_view revision);

    /// What changed from `from` to `to`, with line counts per text file.
    [[nodiscard]] Result<DiffSummary> diff(std::string_view from, std::string_view to);

    /// The changed files from `from` to `to` (repo_diff.cpp): status with renames detected, line
    /// counts, and a unified diff per text file of at most `max_patch_bytes` (then `truncated`).
    /// An empty `from` means `to`'s parent (no files for the first version). NotFound for an
    /// unknown revision.
    [[nodiscard]] Result<RepoDiff> file_diff(std::string_view from, std::string_view to, std::size_t max_patch_bytes);

    /// Every file of `revision` with its size, sorted by path.
    [[nodiscard]] Result<std::vector<RepoFile>> list_files(std::string_view revision);

    /// The bytes of the file at `path` in `revision`. InvalidArgument for absolute paths or
    /// `..`/`.`/empty components; NotFound when there is no such file.
    [[nodiscard]] Result<std::string> read_file(std::string_view revision, std::string_view path);

private:
    ProjectRepo(std::filesystem::path path, git_repository* repository);

    std::filesystem::path m_path;
    git_repository* m_repository = nullptr;
    std::unique_ptr<std::mutex> m_mutex;
};

} // namespace atelier::store
