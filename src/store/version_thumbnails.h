// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace atelier::store {

/// Small pictures of a project's versions: the live viewport's frame when the version was made
/// (sessions take them, `GET /api/projects/{id}/versions/{rev}/thumbnail` serves them). Files, not
/// rows: `<root>/<project-id>/<revision>.<jpg|webp|png>`, one per version, the newest
/// `kKeepPerProject` kept. Pictures are a nicety: a version without one is normal.
///
/// Thread-safety: no state besides the files; a write goes to a temporary file renamed into place,
/// so a reader sees the old picture or the new one, never a torn one. Writers of one project are
/// expected to be serial (the sessions' worker queue per project).
class VersionThumbnails {
public:
    /// Pictures kept per project; older ones are removed when a new one is written.
    static constexpr std::size_t kKeepPerProject = 200;
    /// A picture larger than this is not kept (a viewport frame is typically 20–150 KB).
    static constexpr std::size_t kMaxBytes = 2 * 1024 * 1024;

    /// `root`: `<data>/thumbnails`; created on the first write.
    explicit VersionThumbnails(std::filesystem::path root) : m_root(std::move(root)) {}

    /// Keeps `image` (its `extension`: "jpg", "webp" or "png") as `revision`'s picture, replacing
    /// one it had. InvalidArgument for a malformed id, revision or extension or an image over
    /// kMaxBytes; Unavailable when the file cannot be written.
    [[nodiscard]] Result<void> put(const std::string& project_id, const std::string& revision, std::string_view image,
                                   std::string_view extension) const;

    /// The picture of `revision`, given in full or as a prefix of at least 4 hex digits (an
    /// ambiguous prefix finds nothing); nothing when there is none.
    [[nodiscard]] std::optional<std::filesystem::path> find(const std::string& project_id,
                                                            std::string_view revision) const;

    /// The project's most recently written picture, if any.
    [[nodiscard]] std::optional<std::filesystem::path> newest(const std::string& project_id) const;

    struct Picture {
        std::string revision;
        std::filesystem::path file;
    };
    /// Every picture of the project, most recently written first.
    [[nodiscard]] std::vector<Picture> list(const std::string& project_id) const;

    /// Removes every picture of the project (it was deleted).
    void remove_project(const std::string& project_id) const;

private:
    [[nodiscard]] std::optional<std::filesystem::path> project_dir(const std::string& project_id) const;

    std::filesystem::path m_root;
};

} // namespace atelier::store
