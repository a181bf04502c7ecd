// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <git2.h>

#include "core/result.h"

namespace atelier::store {

/// Internal to the store module: libgit2 handles with owners, error conversion, and the two
/// directions between a tree object and a plain directory on disk.

template <class T, void (*Free)(T*)> struct GitDeleter {
    void operator()(T* handle) const { Free(handle); }
};
template <class T, void (*Free)(T*)> using GitHandle = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepositoryHandle = GitHandle<git_repository, git_repository_free>;
using CommitHandle = GitHandle<git_commit, git_commit_free>;
using TreeHandle = GitHandle<git_tree, git_tree_free>;
using ObjectHandle = GitHandle<git_object, git_object_free>;
using BlobHandle = GitHandle<git_blob, git_blob_free>;
using TreeBuilderHandle = GitHandle<git_treebuilder, git_treebuilder_free>;
using TreeEntryHandle = GitHandle<git_tree_entry, git_tree_entry_free>;
using DiffHandle = GitHandle<git_diff, git_diff_free>;
using PatchHandle = GitHandle<git_patch, git_patch_free>;
using RevwalkHandle = GitHandle<git_revwalk, git_revwalk_free>;
using SignatureHandle = GitHandle<git_signature, git_signature_free>;

/// Initialises libgit2 once per process, with fsync of objects and refs turned on.
void ensure_libgit2();

/// The failure libgit2 just reported, as an Error (`what` says what we were doing).
[[nodiscard]] Error git_failure(int code, std::string_view what);

/// The commit `revision` names (empty: HEAD): InvalidArgument for a malformed one, NotFound
/// ("no revision '…'") for one the repository does not have or that is not a commit, and the
/// repository's own failure (a full disk, a damaged object) as a server error, never a 404.
[[nodiscard]] Result<CommitHandle> lookup_commit(git_repository* repository, std::string_view revision);
/// The root tree of `commit`.
[[nodiscard]] Result<TreeHandle> commit_tree(const git_commit* commit);

/// Whether a path inside the working tree is kept out of commits: `renders/` and `exports/` (outputs) at the top level,
/// and `.git` and `node_modules` anywhere. Checkout leaves these alone too.
[[nodiscard]] bool excluded_from_commits(std::string_view name, bool top_level);

/// Writes the directory's files as blobs and trees and returns the root tree's id. Symlinks,
/// sockets and the excluded names are skipped; empty directories vanish (git has no such thing).
[[nodiscard]] Result<git_oid> write_tree_from_directory(git_repository* repository,
                                                        const std::filesystem::path& directory);

/// Makes `directory` hold exactly `tree` (besides the excluded names): writes every file, removes
/// files and directories the tree does not have. Never follows a symlink out of `directory`.
[[nodiscard]] Result<void> write_directory_from_tree(git_repository* repository, const git_tree* tree,
                                                     const std::filesystem::path& directory);

/// Rejects paths that could leave the tree: empty, absolute, `.`/`..` components, empty
/// components, backslashes or NUL bytes. InvalidArgument names the problem.
[[nodiscard]] Result<void> check_relative_path(std::string_view path);

} // namespace atelier::store
