// SPDX-License-Identifier: Apache-2.0
// ProjectRepo::file_diff: what changed between two versions, file by file, with unified diffs of
// text files (libgit2's tree-to-tree diff, rename detection and patch printer).

#include <algorithm>

#include <fmt/format.h>

#include "store/project_repo.h"
#include "store/repo_tree.h"

namespace atelier::store {
namespace {

std::string hex(const git_oid* id) {
    char buffer[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(buffer, sizeof buffer, id);
    return buffer;
}

DiffStatus status_of(git_delta_t status) {
    switch (status) {
    case GIT_DELTA_ADDED:
        return DiffStatus::Added;
    case GIT_DELTA_DELETED:
        return DiffStatus::Deleted;
    case GIT_DELTA_RENAMED:
        return DiffStatus::Renamed;
    default:
        return DiffStatus::Modified;
    }
}

struct PatchText {
    std::string text;
    std::size_t limit = 0;
    bool truncated = false;
};

int print_line(const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line, void* payload) {
    auto& patch = *static_cast<PatchText*>(payload);
    std::string piece;
    if (line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
        line->origin == GIT_DIFF_LINE_DELETION) {
        piece += line->origin;
    }
    piece.append(line->content, line->content_len);
    if (patch.text.size() + piece.size() > patch.limit) {
        patch.truncated = true;
        return 1; // stops the printer
    }
    patch.text += piece;
    return 0;
}

} // namespace

const char* diff_status_name(DiffStatus status) {
    switch (status) {
    case DiffStatus::Added:
        return "added";
    case DiffStatus::Deleted:
        return "deleted";
    case DiffStatus::Renamed:
        return "renamed";
    case DiffStatus::Modified:
        break;
    }
    return "modified";
}

Result<RepoDiff> ProjectRepo::file_diff(std::string_view from, std::string_view to, std::size_t max_patch_bytes) {
    std::lock_guard lock(*m_mutex);
    const CommitHandle to_commit = ATELIER_TRY(lookup_commit(m_repository, to));
    RepoDiff result;
    result.to = hex(git_commit_id(to_commit.get()));
    CommitHandle from_commit;
    if (!from.empty()) {
        from_commit = ATELIER_TRY(lookup_commit(m_repository, from));
    } else if (git_commit_parentcount(to_commit.get()) > 0) {
        git_commit* parent = nullptr;
        if (const int code = git_commit_parent(&parent, to_commit.get(), 0); code != 0) {
            return fail(git_failure(code, "read parent"));
        }
        from_commit.reset(parent);
    }
    TreeHandle from_tree;
    if (from_commit) {
        result.from = hex(git_commit_id(from_commit.get()));
        from_tree = ATELIER_TRY(commit_tree(from_commit.get()));
    }
    const TreeHandle to_tree = ATELIER_TRY(commit_tree(to_commit.get()));

    git_diff* raw_diff = nullptr;
    if (const int code = git_diff_tree_to_tree(&raw_diff, m_repository, from_tree.get(), to_tree.get(), nullptr);
        code != 0) {
        return fail(git_failure(code, "diff"));
    }
    const DiffHandle diff(raw_diff);
    git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
    find.flags = GIT_DIFF_FIND_RENAMES;
    if (const int code = git_diff_find_similar(diff.get(), &find); code != 0) {
        return fail(git_failure(code, "find renames"));
    }
    const std::size_t count = git_diff_num_deltas(diff.get());
    for (std::size_t i = 0; i < count; ++i) {
        git_patch* raw_patch = nullptr;
        if (const int code = git_patch_from_diff(&raw_patch, diff.get(), i); code != 0) {
            return fail(git_failure(code, "diff"));
        }
        const PatchHandle patch(raw_patch);
        const git_diff_delta* delta = git_patch_get_delta(patch.get());
        ChangedFile file;
        file.status = status_of(delta->status);
        file.path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
        if (file.status == DiffStatus::Renamed) {
            file.old_path = delta->old_file.path;
        }
        file.binary = (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
        std::size_t context = 0;
        git_patch_line_stats(&context, &file.additions, &file.deletions, patch.get());
        if (!file.binary) {
            PatchText text{{}, max_patch_bytes, false};
            const int code = git_patch_print(patch.get(), print_line, &text);
            if (code != 0 && !text.truncated) {
                return fail(git_failure(code, "print diff"));
            }
            file.patch = std::move(text.text);
            file.truncated = text.truncated;
        }
        result.files.push_back(std::move(file));
    }
    std::sort(result.files.begin(), result.files.end(),
              [](const ChangedFile& left, const ChangedFile& right) { return left.path < right.path; });
    return result;
}

} // namespace atelier::store
