// SPDX-License-Identifier: Apache-2.0
#include "store/repo_tree.h"

#include <fcntl.h>
#include <mutex>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

namespace atelier::store {
namespace fs = std::filesystem;

namespace {

struct TreeFile {
    std::string path;
    git_oid id;
    git_filemode_t mode;
};

struct TreeContents {
    std::vector<TreeFile> files;
    std::set<std::string> file_paths;
    std::set<std::string> directories;
};

int collect_entry(const char* root, const git_tree_entry* entry, void* payload) {
    auto& contents = *static_cast<TreeContents*>(payload);
    std::string path = std::string(root) + git_tree_entry_name(entry);
    const git_filemode_t mode = git_tree_entry_filemode(entry);
    if (mode == GIT_FILEMODE_TREE) {
        contents.directories.insert(path);
    } else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
        contents.file_paths.insert(path);
        contents.files.push_back(TreeFile{std::move(path), *git_tree_entry_id(entry), mode});
    }
    // Symlinks and submodules are never written by us, so never checked out either.
    return 0;
}

// Makes every directory above `relative` a real directory inside `root`: a symlink or a file in
// the way is removed, so nothing is ever written through a link that points elsewhere.
Result<void> prepare_parents(const fs::path& root, const fs::path& relative) {
    fs::path current = root;
    for (auto part = relative.begin(); part != relative.end() && std::next(part) != relative.end(); ++part) {
        current /= *part;
        std::error_code error;
        const fs::file_status status = fs::symlink_status(current, error);
        if (fs::is_directory(status)) {
            continue;
        }
        if (fs::exists(status)) {
            fs::remove(current, error);
        }
        fs::create_directory(current, error);
        if (error) {
            return fail(ErrorCode::Unavailable, fmt::format("cannot create {}: {}", current.string(), error.message()));
        }
    }
    return {};
}

Result<void> write_file(git_repository* repository, const TreeFile& file, const fs::path& target) {
    std::error_code error;
    const fs::file_status status = fs::symlink_status(target, error);
    if (fs::is_directory(status)) {
        fs::remove_all(target, error);
    } else if (fs::is_symlink(status)) {
        fs::remove(target, error);
    }
    git_blob* raw_blob = nullptr;
    if (const int code = git_blob_lookup(&raw_blob, repository, &file.id); code != 0) {
        return fail(git_failure(code, "read blob " + file.path));
    }
    const BlobHandle blob(raw_blob);
    const mode_t mode = file.mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
    const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot write {}", target.string()));
    }
    const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
    auto remaining = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
    bool ok = true;
    while (remaining > 0) {
        const ssize_t written = ::write(fd, data, remaining);
        if (written <= 0) {
            ok = false;
            break;
        }
        data += written;
        remaining -= static_cast<std::size_t>(written);
    }
    ok = ::fchmod(fd, mode) == 0 && ok;
    ::close(fd);
    if (!ok) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot write {}", target.string()));
    }
    return {};
}

// Removes what the tree does not have (symlinks included: they are never committed).
void prune(const fs::path& directory, const std::string& prefix, const TreeContents& contents) {
    std::error_code error;
    std::vector<fs::directory_entry> entries;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        entries.push_back(entry);
    }
    for (const auto& entry : entries) {
        const std::string name = entry.path().filename().string();
        if (excluded_from_commits(name, prefix.empty())) {
            continue;
        }
        const std::string path = prefix + name;
        const fs::file_status status = entry.symlink_status(error);
        if (fs::is_directory(status)) {
            if (contents.directories.contains(path)) {
                prune(entry.path(), path + "/", contents);
            } else {
                fs::remove_all(entry.path(), error);
            }
        } else if (!contents.file_paths.contains(path)) {
            fs::remove(entry.path(), error);
        }
    }
}

Result<std::optional<git_oid>> write_directory(git_repository* repository, const fs::path& directory, bool top_level) {
    git_treebuilder* raw_builder = nullptr;
    if (const int code = git_treebuilder_new(&raw_builder, repository, nullptr); code != 0) {
        return fail(git_failure(code, "create tree"));
    }
    const TreeBuilderHandle builder(raw_builder);
    std::error_code error;
    fs::directory_iterator iterator(directory, error);
    if (error) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot read {}: {}", directory.string(), error.message()));
    }
    for (const auto& entry : iterator) {
        const std::string name = entry.path().filename().string();
        if (excluded_from_commits(name, top_level)) {
            continue;
        }
        const fs::file_status status = entry.symlink_status(error);
        git_oid id;
        git_filemode_t mode = GIT_FILEMODE_BLOB;
        if (fs::is_directory(status)) {
            const auto subtree = ATELIER_TRY(write_directory(repository, entry.path(), false));
            if (!subtree) {
                continue;
            }
            id = *subtree;
            mode = GIT_FILEMODE_TREE;
        } else if (fs::is_regular_file(status)) {
            // Streams the file into the object database: a 50 MB .blend never sits in memory whole.
            if (const int code = git_blob_create_from_disk(&id, repository, entry.path().c_str()); code != 0) {
                return fail(git_failure(code, "store " + entry.path().string()));
            }
            if ((status.permissions() & fs::perms::owner_exec) != fs::perms::none) {
                mode = GIT_FILEMODE_BLOB_EXECUTABLE;
            }
        } else {
            continue; // symlinks, sockets, fifos: not project content
        }
        if (const int code = git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &id, mode); code != 0) {
            return fail(git_failure(code, "add " + entry.path().string()));
        }
    }
    if (git_treebuilder_entrycount(builder.get()) == 0 && !top_level) {
        return std::optional<git_oid>();
    }
    git_oid tree_id;
    if (const int code = git_treebuilder_write(&tree_id, builder.get()); code != 0) {
        return fail(git_failure(code, "write tree"));
    }
    return std::optional<git_oid>(tree_id);
}

} // namespace

void ensure_libgit2() {
    static std::once_flag once;
    std::call_once(once, [] {
        git_libgit2_init();
        // Objects and refs are fsynced before the ref moves, so an acknowledged commit is on disk.
        git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
    });
}

Result<CommitHandle> lookup_commit(git_repository* repository, std::string_view revision) {
    const std::string spec = revision.empty() ? std::string("HEAD") : std::string(revision);
    if (spec.size() > 256 || spec.find('\0') != std::string::npos) {
        return fail(ErrorCode::InvalidArgument, "revision: not a revision");
    }
    git_object* raw_object = nullptr;
    if (const int code = git_revparse_single(&raw_object, repository, spec.c_str()); code != 0) {
        if (code == GIT_ENOTFOUND || code == GIT_EAMBIGUOUS || code == GIT_EINVALIDSPEC) {
            return fail(ErrorCode::NotFound, fmt::format("no revision '{}'", spec));
        }
        // Anything else is the repository failing (a full disk, a damaged object), not a wrong
        // revision: a server error with libgit2's reason, never a misleading 404.
        return fail(git_failure(code, fmt::format("read revision '{}'", spec)));
    }
    const ObjectHandle object(raw_object);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0) {
        return fail(ErrorCode::NotFound, fmt::format("'{}' is not a version", spec));
    }
    return CommitHandle(reinterpret_cast<git_commit*>(peeled));
}

Result<TreeHandle> commit_tree(const git_commit* commit) {
    git_tree* tree = nullptr;
    if (const int code = git_commit_tree(&tree, commit); code != 0) {
        return fail(git_failure(code, "read tree"));
    }
    return TreeHandle(tree);
}

Error git_failure(int code, std::string_view what) {
    const git_error* last = git_error_last();
    const std::string detail = last != nullptr && last->message != nullptr ? last->message : "unknown error";
    ErrorCode mapped = ErrorCode::Internal;
    if (code == GIT_ENOTFOUND || code == GIT_EAMBIGUOUS || code == GIT_EINVALIDSPEC) {
        mapped = ErrorCode::NotFound;
    } else if (code == GIT_EMODIFIED || code == GIT_ELOCKED || code == GIT_EEXISTS) {
        mapped = ErrorCode::Conflict;
    }
    return Error{mapped, fmt::format("{}: {}", what, detail)};
}

bool excluded_from_commits(std::string_view name, bool top_level) {
    return name == ".git" || name == "node_modules" || (top_level && (name == "renders" || name == "exports"));
}

Result<git_oid> write_tree_from_directory(git_repository* repository, const fs::path& directory) {
    std::error_code error;
    if (!fs::is_directory(directory, error)) {
        return fail(ErrorCode::NotFound, fmt::format("{} is not a directory", directory.string()));
    }
    const auto tree = ATELIER_TRY(write_directory(repository, directory, true));
    return *tree; // the top level is always written, empty or not
}

Result<void> write_directory_from_tree(git_repository* repository, const git_tree* tree, const fs::path& directory) {
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot create {}: {}", directory.string(), error.message()));
    }
    TreeContents contents;
    if (const int code = git_tree_walk(tree, GIT_TREEWALK_PRE, collect_entry, &contents); code != 0) {
        return fail(git_failure(code, "walk tree"));
    }
    prune(directory, "", contents);
    for (const TreeFile& file : contents.files) {
        ATELIER_TRY(prepare_parents(directory, fs::path(file.path)));
        ATELIER_TRY(write_file(repository, file, directory / file.path));
    }
    for (const std::string& path : contents.directories) {
        ATELIER_TRY(prepare_parents(directory, fs::path(path) / "x"));
    }
    return {};
}

Result<void> check_relative_path(std::string_view path) {
    if (path.empty()) {
        return fail(ErrorCode::InvalidArgument, "path: must not be empty");
    }
    if (path.front() == '/') {
        return fail(ErrorCode::InvalidArgument, "path: must be relative to the project");
    }
    if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) {
        return fail(ErrorCode::InvalidArgument, "path: contains a backslash or NUL byte");
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") {
            return fail(ErrorCode::InvalidArgument, "path: '.', '..' and empty components are not allowed");
        }
        start = end + 1;
    }
    return {};
}

} // namespace atelier::store
