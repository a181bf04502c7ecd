// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace atelier::store {

/// How a file changed between two versions (renames found by content similarity).
enum class DiffStatus { Added, Modified, Deleted, Renamed };

[[nodiscard]] const char* diff_status_name(DiffStatus status);

/// One changed file of ProjectRepo::file_diff.
struct ChangedFile {
    std::string path;     ///< the new path (the old one for a deleted file)
    std::string old_path; ///< set for renames
    DiffStatus status = DiffStatus::Modified;
    bool binary = false;
    std::size_t additions = 0; ///< lines; 0 for binary files
    std::size_t deletions = 0;
    std::string patch;      ///< unified diff of a text file ("diff --git" header included); empty for binary
    bool truncated = false; ///< the patch was longer than the limit and was cut
};

/// Everything that differs from one version to another, sorted by path.
struct RepoDiff {
    std::string from; ///< full revision, empty for "no files" (the first version's parent)
    std::string to;
    std::vector<ChangedFile> files;
};

} // namespace atelier::store
