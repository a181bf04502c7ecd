// SPDX-License-Identifier: Apache-2.0
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
#include "store/project_locks.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::api {

/// What the REST handlers share: the store, the project repositories and the engine kinds a
/// project may have. Built once at start; outlives the server.
///
/// Thread-safety: handlers run on several network threads at once. The store and ProjectRepos
/// are thread-safe; `project_locks` (shared with the sessions) serialises the writers of one
/// project so that two of them never race for its branch.
class ApiContext {
public:
    /// `config.engines` keys plus the built-in kinds `blender` and `remotion`; a kind's template
    /// directory is its `template` setting, if any. `locks` outlives the context.
    ApiContext(store::Store& store, const Config& config, store::ProjectLocks& locks);

    [[nodiscard]] store::Store& store() { return m_store; }
    [[nodiscard]] const store::ProjectRepos& repos() const { return m_repos; }
    /// Held around every write to one project's repository (and its version rows).
    [[nodiscard]] std::unique_lock<std::mutex> lock_project(std::string_view project_id) {
        return m_locks.lock(project_id);
    }

    /// Whether projects of `kind` can be created.
    [[nodiscard]] bool knows_kind(std::string_view kind) const;
    /// The known kinds, comma-separated, for error messages.
    [[nodiscard]] std::string kind_list() const;
    /// The template directory of `kind`, or nothing (the project starts empty).
    [[nodiscard]] std::optional<std::filesystem::path> template_of(std::string_view kind) const;

    /// The local asset library's directory (`[assets] library`); GET /api/assets lists it.
    [[nodiscard]] const std::filesystem::path& assets_library() const { return m_assets_library; }

    /// The asset folder of `kind` (no trailing slash): its `assets_dir` setting, else `public` for
    /// remotion and `assets` for the others.
    [[nodiscard]] std::string assets_dir_of(std::string_view kind) const;

    /// Told after a version was restored / a project deleted, so that live sessions follow
    /// (the app connects them to the session manager; empty in tests of this module alone).
    std::function<void(const std::string& user_id, const std::string& project_id)> on_restored;
    std::function<void(const std::string& user_id, const std::string& project_id)> on_deleted;
    /// Where a project's renders are: live sessions' `renders/` first, the kept renders last
    /// (the app connects it to the session manager; empty: no renders).
    std::function<std::vector<std::filesystem::path>(const std::string& user_id, const std::string& project_id)>
        render_dirs;

    /// Applies file edits through the project's live session, when there is one: the files land in
    /// its working tree, are committed with it and the engine is told (`project/files_changed`);
    /// `done` gets the new version. False when no session holds the project (REST then commits
    /// to the repository itself). The app connects it to SessionManager::edit_files.
    std::function<bool(const std::string& user_id, const std::string& project_id, std::vector<store::FileEdit> edits,
                       const std::string& message, std::function<void(Result<std::string>)> done)>
        edit_through_session;

private:
    store::Store& m_store;
    store::ProjectRepos m_repos;
    std::map<std::string, std::optional<std::filesystem::path>, std::less<>> m_kinds;
    store::ProjectLocks& m_locks;
    std::map<std::string, std::string, std::less<>> m_assets_dirs;
    std::filesystem::path m_assets_library;
};

/// The commit author for a user: their name and a local, never-mailed address.
[[nodiscard]] store::CommitAuthor commit_author(const store::User& user);

} // namespace atelier::api
