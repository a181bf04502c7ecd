// SPDX-License-Identifier: Apache-2.0
#include "store/project_repos.h"

#include <algorithm>

#include <fmt/format.h>

namespace atelier::store {
namespace fs = std::filesystem;

ProjectRepos::ProjectRepos(fs::path data_dir) : m_root(std::move(data_dir) / "projects") {}

ProjectRepos ProjectRepos::with_root(fs::path projects_dir) {
    ProjectRepos repos(fs::path{});
    repos.m_root = std::move(projects_dir);
    return repos;
}

Result<fs::path> ProjectRepos::path_of(std::string_view project_id) const {
    const bool valid =
        !project_id.empty() && project_id.size() <= 64 && std::all_of(project_id.begin(), project_id.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
    if (!valid) {
        return fail(ErrorCode::InvalidArgument, "project id: letters, digits, '-' and '_' only");
    }
    return m_root / fmt::format("{}.git", project_id);
}

Result<ProjectRepo> ProjectRepos::create(std::string_view project_id, const std::optional<fs::path>& template_dir,
                                         const CommitAuthor& author, std::string_view message) const {
    const fs::path path = ATELIER_TRY(path_of(project_id));
    return ProjectRepo::create(path, template_dir, author, message);
}

Result<ProjectRepo> ProjectRepos::open(std::string_view project_id) const {
    const fs::path path = ATELIER_TRY(path_of(project_id));
    return ProjectRepo::open(path);
}

Result<void> ProjectRepos::remove(std::string_view project_id) const {
    const fs::path path = ATELIER_TRY(path_of(project_id));
    std::error_code error;
    fs::remove_all(path, error);
    if (error) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot delete {}: {}", path.string(), error.message()));
    }
    return {};
}

} // namespace atelier::store
