// SPDX-License-Identifier: Apache-2.0
#include "store/project_repo.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "store/disk_space.h"
#include "store/repo_tree.h"

namespace atelier::store {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBranch = "main";

std::string hex(const git_oid* id) {
    char buffer[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(buffer, sizeof buffer, id);
    return buffer;
}

/// HEAD's commit, or nullptr while the branch is unborn.
Result<CommitHandle> head_commit(git_repository* repository) {
    git_object* raw_object = nullptr;
    const int code = git_revparse_single(&raw_object, repository, "HEAD");
    if (code == GIT_ENOTFOUND || code == GIT_EUNBORNBRANCH) {
        return CommitHandle();
    }
    if (code != 0) {
        return fail(git_failure(code, "read HEAD"));
    }
    const ObjectHandle object(raw_object);
    git_object* peeled = nullptr;
    if (const int peel = git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT); peel != 0) {
        return fail(git_failure(peel, "read HEAD"));
    }
    return CommitHandle(reinterpret_cast<git_commit*>(peeled));
}

ChangeKind kind_of(git_delta_t status) {
    switch (status) {
    case GIT_DELTA_ADDED:
        return ChangeKind::Added;
    case GIT_DELTA_DELETED:
        return ChangeKind::Deleted;
    default:
        return ChangeKind::Modified;
    }
}

Result<DiffHandle> diff_trees(git_repository* repository, git_tree* old_tree, git_tree* new_tree) {
    git_diff* diff = nullptr;
    if (const int code = git_diff_tree_to_tree(&diff, repository, old_tree, new_tree, nullptr); code != 0) {
        return fail(git_failure(code, "diff"));
    }
    return DiffHandle(diff);
}

Result<RepoVersion> describe(git_repository* repository, const git_commit* commit) {
    RepoVersion version;
    version.revision = hex(git_commit_id(commit));
    const char* message = git_commit_message(commit);
    version.message = message != nullptr ? message : "";
    const git_signature* author = git_commit_author(commit);
    version.author_name = author->name != nullptr ? author->name : "";
    version.author_email = author->email != nullptr ? author->email : "";
    version.time_ms = static_cast<std::int64_t>(git_commit_time(commit)) * 1000;
    const TreeHandle tree = ATELIER_TRY(commit_tree(commit));
    TreeHandle parent_tree;
    if (git_commit_parentcount(commit) > 0) {
        version.parent = hex(git_commit_parent_id(commit, 0));
        git_commit* parent = nullptr;
        if (const int code = git_commit_parent(&parent, commit, 0); code != 0) {
            return fail(git_failure(code, "read parent"));
        }
        const CommitHandle parent_handle(parent);
        parent_tree = ATELIER_TRY(commit_tree(parent));
    }
    const DiffHandle diff = ATELIER_TRY(diff_trees(repository, parent_tree.get(), tree.get()));
    const std::size_t count = git_diff_num_deltas(diff.get());
    for (std::size_t i = 0; i < count; ++i) {
        const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
        const char* path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
        version.changes.push_back(FileChange{path, kind_of(delta->status)});
    }
    return version;
}

Result<void> check_author(const CommitAuthor& author) {
    const auto bad = [](const std::string& text) { return text.find_first_of("<>\n") != std::string::npos; };
    if (author.name.empty() || bad(author.name) || bad(author.email)) {
        return fail(ErrorCode::InvalidArgument, "author: needs a name, and no '<', '>' or newline");
    }
    return {};
}

/// Commits `tree_id` on top of `parent` (nullptr: a first commit) and moves `ref` (the branch by
/// default). libgit2 refuses with GIT_EMODIFIED when the branch no longer points at `parent`:
/// another writer won.
Result<std::string> write_commit(git_repository* repository, const git_oid& tree_id, const git_commit* parent,
                                 const CommitAuthor& author, std::string_view message, const char* ref = "HEAD") {
    ATELIER_TRY(check_author(author));
    git_signature* raw_signature = nullptr;
    if (const int code = git_signature_now(&raw_signature, author.name.c_str(), author.email.c_str()); code != 0) {
        return fail(ErrorCode::InvalidArgument, git_failure(code, "author").message);
    }
    const SignatureHandle signature(raw_signature);
    git_tree* raw_tree = nullptr;
    if (const int code = git_tree_lookup(&raw_tree, repository, &tree_id); code != 0) {
        return fail(git_failure(code, "read tree"));
    }
    const TreeHandle tree(raw_tree);
    const std::string text(message);
    const git_commit* parents[] = {parent};
    git_oid commit_id;
    const int code = git_commit_create(&commit_id, repository, ref, signature.get(), signature.get(), nullptr,
                                       text.c_str(), tree.get(), parent != nullptr ? 1 : 0, parents);
    if (code != 0) {
        return fail(git_failure(code, "commit"));
    }
    // libgit2 1.5 answers 0 when the commit object's write fails (ENOSPC on a full disk): the id
    // it returns names nothing, and the branch did not move. Never hand out such an id.
    git_odb* odb = nullptr;
    if (const int odb_code = git_repository_odb(&odb, repository); odb_code != 0) {
        return fail(git_failure(odb_code, "commit: open the object database"));
    }
    const bool written = git_odb_exists(odb, &commit_id) != 0;
    git_odb_free(odb);
    if (!written) {
        const git_error* last = git_error_last();
        return fail(ErrorCode::Internal,
                    fmt::format("commit: the commit object was not written ({})",
                                last != nullptr && last->message != nullptr ? last->message : "no reason given"));
    }
    return hex(&commit_id);
}

/// A failed write into the repository at `path`: "the data disk is full" when it is.
template <class T> Result<T> checked_write(const fs::path& path, Result<T> outcome) {
    if (outcome || (outcome.error().code != ErrorCode::Internal && outcome.error().code != ErrorCode::Unavailable)) {
        return outcome;
    }
    const int saved_errno = errno;
    return fail(write_failure(path, std::move(outcome.error()), saved_errno));
}

} // namespace

ProjectRepo::ProjectRepo(fs::path path, git_repository* repository)
    : m_path(std::move(path)), m_repository(repository), m_mutex(std::make_unique<std::mutex>()) {}

ProjectRepo::ProjectRepo(ProjectRepo&& other) noexcept
    : m_path(std::move(other.m_path)), m_repository(std::exchange(other.m_repository, nullptr)),
      m_mutex(std::move(other.m_mutex)) {}

ProjectRepo& ProjectRepo::operator=(ProjectRepo&& other) noexcept {
    if (this != &other) {
        git_repository_free(m_repository);
        m_path = std::move(other.m_path);
        m_repository = std::exchange(other.m_repository, nullptr);
        m_mutex = std::move(other.m_mutex);
    }
    return *this;
}

ProjectRepo::~ProjectRepo() {
    git_repository_free(m_repository);
}

Result<ProjectRepo> ProjectRepo::create(const fs::path& bare_path, const std::optional<fs::path>& template_dir,
                                        const CommitAuthor& author, std::string_view message) {
    ensure_libgit2();
    ATELIER_TRY(check_author(author));
    std::error_code error;
    if (fs::exists(bare_path, error)) {
        return fail(ErrorCode::Conflict, fmt::format("{} already exists", bare_path.string()));
    }
    git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    options.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
    options.initial_head = kBranch;
    git_repository* raw = nullptr;
    if (const int code = git_repository_init_ext(&raw, bare_path.c_str(), &options); code != 0) {
        const int saved_errno = errno;
        return fail(write_failure(bare_path, git_failure(code, "create " + bare_path.string()), saved_errno));
    }
    ProjectRepo repo(bare_path, raw);
    auto first = [&]() -> Result<void> {
        git_oid tree_id;
        if (template_dir) {
            tree_id = ATELIER_TRY(write_tree_from_directory(raw, *template_dir));
        } else {
            TreeBuilderHandle builder;
            git_treebuilder* raw_builder = nullptr;
            if (const int code = git_treebuilder_new(&raw_builder, raw, nullptr); code != 0) {
                return fail(git_failure(code, "create tree"));
            }
            builder.reset(raw_builder);
            if (const int code = git_treebuilder_write(&tree_id, builder.get()); code != 0) {
                return fail(git_failure(code, "write tree"));
            }
        }
        ATELIER_TRY(write_commit(raw, tree_id, nullptr, author, message));
        return {};
    }();
    if (!first) {
        // A repository without its first commit is useless; do not leave it to block a retry.
        repo = ProjectRepo({}, nullptr);
        fs::remove_all(bare_path, error);
        return fail(checked_write(bare_path, std::move(first)).error());
    }
    return repo;
}

Result<ProjectRepo> ProjectRepo::open(const fs::path& bare_path) {
    ensure_libgit2();
    git_repository* raw = nullptr;
    if (const int code = git_repository_open_bare(&raw, bare_path.c_str()); code != 0) {
        return fail(ErrorCode::NotFound, fmt::format("no project repository at {}", bare_path.string()));
    }
    return ProjectRepo(bare_path, raw);
}

Result<std::string> ProjectRepo::resolve(std::string_view revision) {
    std::lock_guard lock(*m_mutex);
    const CommitHandle commit = ATELIER_TRY(lookup_commit(m_repository, revision));
    return hex(git_commit_id(commit.get()));
}

Result<void> ProjectRepo::checkout(std::string_view revision, const fs::path& working_tree) {
    std::lock_guard lock(*m_mutex);
    const CommitHandle commit = ATELIER_TRY(lookup_commit(m_repository, revision));
    const TreeHandle tree = ATELIER_TRY(commit_tree(commit.get()));
    return write_directory_from_tree(m_repository, tree.get(), working_tree);
}

Result<CommitOutcome> ProjectRepo::commit(const fs::path& working_tree, const CommitAuthor& author,
                                          std::string_view message, std::string_view base) {
    std::lock_guard lock(*m_mutex);
    const git_oid tree_id = ATELIER_TRY(checked_write(m_path, write_tree_from_directory(m_repository, working_tree)));
    const CommitHandle head = ATELIER_TRY(head_commit(m_repository));
    if (head && git_oid_equal(git_commit_tree_id(head.get()), &tree_id)) {
        return CommitOutcome{hex(git_commit_id(head.get())), false};
    }
    if (!base.empty()) {
        const std::string head_id = head ? hex(git_commit_id(head.get())) : std::string();
        if (head_id != base) {
            // The tree was checked out from `base`; committing it on top of a newer HEAD would
            // silently undo whatever made HEAD move (a restore, an upload, another hub's commit).
            return fail(ErrorCode::Conflict,
                        fmt::format("the project moved on: this change was made on version {}, the project is now at "
                                    "version {}",
                                    base.substr(0, 10), head_id.substr(0, 10)));
        }
    }
    return CommitOutcome{
        ATELIER_TRY(checked_write(m_path, write_commit(m_repository, tree_id, head.get(), author, message))), true};
}

Result<CommitOutcome> ProjectRepo::commit_files(const std::vector<FileEdit>& edits, const CommitAuthor& author,
                                                std::string_view message, std::string_view base) {
    for (const auto& edit : edits) {
        ATELIER_TRY(check_relative_path(edit.path));
    }
    std::lock_guard lock(*m_mutex);
    const CommitHandle head = ATELIER_TRY(head_commit(m_repository));
    const std::string head_id = head ? hex(git_commit_id(head.get())) : std::string();
    if (!base.empty() && head_id != base) {
        return fail(ErrorCode::Conflict,
                    fmt::format("the project moved on: this change was made on version {}, the project is now at "
                                "version {}",
                                base.substr(0, 10), head_id.substr(0, 10)));
    }
    TreeHandle tree;
    if (head) {
        tree = ATELIER_TRY(commit_tree(head.get()));
    }
    std::vector<git_tree_update> updates;
    updates.reserve(edits.size());
    for (const auto& edit : edits) {
        git_tree_update update{};
        update.path = edit.path.c_str();
        if (edit.source) {
            // libgit2 reads the file in pieces into a loose object: memory stays flat for large files.
            if (const int code = git_blob_create_from_disk(&update.id, m_repository, edit.source->c_str()); code != 0) {
                return fail(write_failure(m_path, git_failure(code, "store " + edit.path), errno));
            }
            update.action = GIT_TREE_UPDATE_UPSERT;
            update.filemode = GIT_FILEMODE_BLOB;
        } else {
            git_tree_entry* raw_entry = nullptr;
            if (!tree || git_tree_entry_bypath(&raw_entry, tree.get(), edit.path.c_str()) != 0) {
                return fail(ErrorCode::NotFound, fmt::format("no file '{}' in the current version", edit.path));
            }
            const TreeEntryHandle entry(raw_entry);
            if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) {
                return fail(ErrorCode::InvalidArgument, fmt::format("'{}' is a directory", edit.path));
            }
            update.action = GIT_TREE_UPDATE_REMOVE;
        }
        updates.push_back(update);
    }
    git_oid tree_id;
    if (const int code = git_tree_create_updated(&tree_id, m_repository, tree.get(), updates.size(), updates.data());
        code != 0) {
        return fail(write_failure(m_path, git_failure(code, "write tree"), errno));
    }
    if (head && git_oid_equal(git_commit_tree_id(head.get()), &tree_id)) {
        return CommitOutcome{head_id, false};
    }
    return CommitOutcome{
        ATELIER_TRY(checked_write(m_path, write_commit(m_repository, tree_id, head.get(), author, message))), true};
}

Result<std::string> ProjectRepo::keep_aside(const fs::path& working_tree, const CommitAuthor& author,
                                            std::string_view message, std::string_view base, std::string_view name) {
    std::lock_guard lock(*m_mutex);
    const bool safe_name = !name.empty() && name.size() <= 64 &&
                           name.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") ==
                               std::string_view::npos;
    if (!safe_name) {
        return fail(ErrorCode::InvalidArgument, "keep_aside: the name must be 1-64 letters, digits, '-' or '_'");
    }
    const git_oid tree_id = ATELIER_TRY(checked_write(m_path, write_tree_from_directory(m_repository, working_tree)));
    CommitHandle parent;
    if (!base.empty()) {
        if (auto found = lookup_commit(m_repository, base)) {
            parent = std::move(*found);
        }
    }
    if (!parent) {
        parent = ATELIER_TRY(head_commit(m_repository));
    }
    const std::string ref = fmt::format("refs/atelier/kept/{}", name);
    return checked_write(m_path, write_commit(m_repository, tree_id, parent.get(), author, message, ref.c_str()));
}

Result<std::string> ProjectRepo::restore(std::string_view revision, const CommitAuthor& author,
                                         std::string_view message) {
    std::lock_guard lock(*m_mutex);
    const CommitHandle target = ATELIER_TRY(lookup_commit(m_repository, revision));
    const CommitHandle head = ATELIER_TRY(head_commit(m_repository));
    const std::string target_id = hex(git_commit_id(target.get()));
    const std::string text =
        message.empty() ? fmt::format("Restore {}", target_id.substr(0, 12)) : std::string(message);
    return checked_write(m_path,
                         write_commit(m_repository, *git_commit_tree_id(target.get()), head.get(), author, text));
}

Result<std::vector<RepoVersion>> ProjectRepo::list_versions(std::size_t limit, std::string_view start) {
    std::lock_guard lock(*m_mutex);
    std::vector<RepoVersion> versions;
    CommitHandle current = ATELIER_TRY(lookup_commit(m_repository, start));
    while (current && versions.size() < limit) {
        versions.push_back(ATELIER_TRY(describe(m_repository, current.get())));
        if (git_commit_parentcount(current.get()) == 0) {
            break;
        }
        git_commit* parent = nullptr;
        if (const int code = git_commit_parent(&parent, current.get(), 0); code != 0) {
            return fail(git_failure(code, "read parent"));
        }
        current.reset(parent);
    }
    return versions;
}

Result<RepoVersion> ProjectRepo::version(std::string_view revision) {
    std::lock_guard lock(*m_mutex);
    const CommitHandle commit = ATELIER_TRY(lookup_commit(m_repository, revision));
    return describe(m_repository, commit.get());
}

Result<DiffSummary> ProjectRepo::diff(std::string_view from, std::string_view to) {
    std::lock_guard lock(*m_mutex);
    const CommitHandle from_commit = ATELIER_TRY(lookup_commit(m_repository, from));
    const CommitHandle to_commit = ATELIER_TRY(lookup_commit(m_repository, to));
    const TreeHandle from_tree = ATELIER_TRY(commit_tree(from_commit.get()));
    const TreeHandle to_tree = ATELIER_TRY(commit_tree(to_commit.get()));
    const DiffHandle diff = ATELIER_TRY(diff_trees(m_repository, from_tree.get(), to_tree.get()));
    DiffSummary summary;
    const std::size_t count = git_diff_num_deltas(diff.get());
    for (std::size_t i = 0; i < count; ++i) {
        git_patch* raw_patch = nullptr;
        if (const int code = git_patch_from_diff(&raw_patch, diff.get(), i); code != 0) {
            return fail(git_failure(code, "diff"));
        }
        const PatchHandle patch(raw_patch);
        const git_diff_delta* delta = git_patch_get_delta(patch.get());
        FileDiff file;
        file.path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
        file.kind = kind_of(delta->status);
        file.binary = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
        std::size_t context = 0;
        git_patch_line_stats(&context, &file.additions, &file.deletions, patch.get());
        summary.additions += file.additions;
        summary.deletions += file.deletions;
        summary.files.push_back(std::move(file));
    }
    return summary;
}

Result<std::vector<RepoFile>> ProjectRepo::list_files(std::string_view revision) {
    std::lock_guard lock(*m_mutex);
    const CommitHandle commit = ATELIER_TRY(lookup_commit(m_repository, revision));
    const TreeHandle tree = ATELIER_TRY(commit_tree(commit.get()));
    git_odb* raw_odb = nullptr;
    if (const int code = git_repository_odb(&raw_odb, m_repository); code != 0) {
        return fail(git_failure(code, "open object database"));
    }
    const GitHandle<git_odb, git_odb_free> odb(raw_odb);
    struct Walk {
        git_odb* odb;
        std::vector<RepoFile> files;
    } walk{odb.get(), {}};
    const auto visit = [](const char* root, const git_tree_entry* entry, void* payload) -> int {
        auto& state = *static_cast<Walk*>(payload);
        if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
            return 0;
        }
        // The header alone gives the size without inflating a 50 MB blob.
        std::size_t size = 0;
        git_object_t type = GIT_OBJECT_ANY;
        if (git_odb_read_header(&size, &type, state.odb, git_tree_entry_id(entry)) != 0) {
            return -1;
        }
        state.files.push_back(RepoFile{std::string(root) + git_tree_entry_name(entry), size});
        return 0;
    };
    if (const int code = git_tree_walk(tree.get(), GIT_TREEWALK_PRE, visit, &walk); code != 0) {
        return fail(git_failure(code, "walk tree"));
    }
    std::sort(walk.files.begin(), walk.files.end(),
              [](const RepoFile& left, const RepoFile& right) { return left.path < right.path; });
    return std::move(walk.files);
}

Result<std::string> ProjectRepo::read_file(std::string_view revision, std::string_view path) {
    ATELIER_TRY(check_relative_path(path));
    std::lock_guard lock(*m_mutex);
    const CommitHandle commit = ATELIER_TRY(lookup_commit(m_repository, revision));
    const TreeHandle tree = ATELIER_TRY(commit_tree(commit.get()));
    git_tree_entry* raw_entry = nullptr;
    const std::string text(path);
    if (git_tree_entry_bypath(&raw_entry, tree.get(), text.c_str()) != 0) {
        return fail(ErrorCode::NotFound, fmt::format("no file '{}' in this version", text));
    }
    const TreeEntryHandle entry(raw_entry);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) {
        return fail(ErrorCode::NotFound, fmt::format("'{}' is a directory", text));
    }
    git_blob* raw_blob = nullptr;
    if (const int code = git_blob_lookup(&raw_blob, m_repository, git_tree_entry_id(entry.get())); code != 0) {
        return fail(git_failure(code, "read " + text));
    }
    const BlobHandle blob(raw_blob);
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                       static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

} // namespace atelier::store
