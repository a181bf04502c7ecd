#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::api {

/// What the REST handlers share: the store, the project repositories and the engine kinds a
/// project may have. Built once at start; outlives the server.
///
/// Thread-safety: handlers run on several network threads at once. The store and ProjectRepos
/// are thread-safe; `repo_writes` serialises commits so that two requests for one project never
/// race for its branch (a lost race would otherwise surface as a spurious 409).
class ApiContext {
public:
    /// `config.engines` keys plus the built-in kinds `blender` and `remotion`; a kind's template
    /// directory is its `template` setting, if any.
    ApiContext(store::Store& store, const Config& config);

    [[nodiscard]] store::Store& store() { return m_store; }
    [[nodiscard]] const store::ProjectRepos& repos() const { return m_repos; }
    [[nodiscard]] std::mutex& repo_writes() { return m_repo_writes; }

    /// Whether projects of `kind` can be created.
    [[nodiscard]] bool knows_kind(std::string_view kind) const;
    /// The known kinds, comma-separated, for error messages.
    [[nodiscard]] std::string kind_list() const;
    /// The template directory of `kind`, or nothing (the project starts empty).
    [[nodiscard]] std::optional<std::filesystem::path> template_of(std::string_view kind) const;

    /// Told after a version was restored / a project deleted, so that live sessions follow
    /// (the app connects them to the session manager; empty in tests of this module alone).
    std::function<void(const std::string& user_id, const std::string& project_id)> on_restored;
    std::function<void(const std::string& user_id, const std::string& project_id)> on_deleted;
    /// Where a project's renders are: live sessions' `renders/` first, the kept renders last
    /// (the app connects it to the session manager; empty: no renders).
    std::function<std::vector<std::filesystem::path>(const std::string& user_id, const std::string& project_id)>
        render_dirs;

private:
    store::Store& m_store;
    store::ProjectRepos m_repos;
    std::map<std::string, std::optional<std::filesystem::path>, std::less<>> m_kinds;
    std::mutex m_repo_writes;
};

/// The commit author for a user: their name and a local, never-mailed address.
[[nodiscard]] store::CommitAuthor commit_author(const store::User& user);

} // namespace atelier::api
