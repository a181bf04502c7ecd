// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "store/project_repo.h"

namespace atelier::store {

/// Where project repositories live: `<data_dir>/projects/<project-id>.git`. Project ids are
/// checked before they become paths, so no id can name a directory outside `projects/`.
/// Thread-safety: const and stateless besides the root path; safe from any thread.
class ProjectRepos {
public:
    explicit ProjectRepos(std::filesystem::path data_dir);
    /// Repositories directly under `projects_dir` (`--projects-dir`, shared storage in a cluster).
    [[nodiscard]] static ProjectRepos with_root(std::filesystem::path projects_dir);

    /// `<data_dir>/projects`.
    [[nodiscard]] const std::filesystem::path& root() const { return m_root; }

    /// The repository path of a project; InvalidArgument unless the id is 1–64 characters of
    /// letters, digits, '-' and '_'.
    [[nodiscard]] Result<std::filesystem::path> path_of(std::string_view project_id) const;

    /// Creates the project's repository with its first commit (see ProjectRepo::create).
    [[nodiscard]] Result<ProjectRepo> create(std::string_view project_id,
                                             const std::optional<std::filesystem::path>& template_dir,
                                             const CommitAuthor& author, std::string_view message) const;
    [[nodiscard]] Result<ProjectRepo> open(std::string_view project_id) const;
    /// Deletes the repository; succeeds when it does not exist.
    [[nodiscard]] Result<void> remove(std::string_view project_id) const;

private:
    std::filesystem::path m_root;
};

} // namespace atelier::store
