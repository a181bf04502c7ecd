// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace atelier::store {

/// The hub's metadata: users, API tokens, projects, messages, transcripts, sessions and versions.
///
/// Ownership: every project-scoped call takes the acting user's id. A project that belongs to
/// somebody else behaves exactly like a missing one (ErrorCode::NotFound), so a caller cannot
/// learn that it exists.
///
/// Errors: NotFound (missing or not yours), Conflict (a unique name or revision already taken),
/// InvalidArgument (a field out of range; the message names the field), Unauthorized (bad
/// password or token), Unavailable (the database cannot be reached or is busy), Internal.
///
/// Thread-safety: every method may be called from any thread at any time; implementations
/// serialise access internally. A method that returns success has made its write durable.
class Store {
public:
    virtual ~Store() = default;

    /// "sqlite" or "postgres".
    [[nodiscard]] virtual std::string_view backend_name() const = 0;
    /// The schema version the database is at after migrations.
    [[nodiscard]] virtual Result<int> schema_version() = 0;
    /// A cheap round trip to the database, for health checks.
    [[nodiscard]] virtual Result<void> ping() = 0;

    // Users and tokens -----------------------------------------------------------------------

    /// Creates a user. The first user ever created becomes Admin whatever `role` says.
    /// Conflict when the name is taken; InvalidArgument for an empty name or empty password.
    [[nodiscard]] virtual Result<User> create_user(const NewUser& user) = 0;
    [[nodiscard]] virtual Result<User> get_user(std::string_view user_id) = 0;
    [[nodiscard]] virtual Result<User> find_user_by_name(std::string_view name) = 0;
    [[nodiscard]] virtual Result<std::vector<User>> list_users() = 0;
    /// Returns the first Admin user, creating one called `name` when the store has no users yet.
    [[nodiscard]] virtual Result<User> ensure_admin(std::string_view name) = 0;
    /// The user when `password` matches; Unauthorized for an unknown user, a user without a
    /// password or a wrong password (the three are indistinguishable, timing included).
    [[nodiscard]] virtual Result<User> verify_password(std::string_view name, std::string_view password) = 0;

    /// Creates a random token for `user_id`. The secret is returned here and never again.
    [[nodiscard]] virtual Result<CreatedToken> create_token(std::string_view user_id, std::string_view label) = 0;
    /// Stores the hash of a secret chosen elsewhere (the data dir's `token` file, ATELIER_TOKEN),
    /// so it authenticates as `user_id`. Idempotent: registering a known secret again for the
    /// same user returns the existing token; for another user it is a Conflict.
    [[nodiscard]] virtual Result<ApiToken> register_token(std::string_view user_id, std::string_view label,
                                                          std::string_view secret) = 0;
    [[nodiscard]] virtual Result<std::vector<ApiToken>> list_tokens(std::string_view user_id) = 0;
    /// NotFound when `token_id` is not one of `user_id`'s tokens.
    [[nodiscard]] virtual Result<void> revoke_token(std::string_view user_id, std::string_view token_id) = 0;
    /// The user a token secret belongs to. The lookup is by hash, so no secret is compared
    /// byte by byte. Unauthorized when the token is unknown or revoked.
    [[nodiscard]] virtual Result<User> find_user_by_token(std::string_view secret) = 0;

    // Projects -------------------------------------------------------------------------------

    [[nodiscard]] virtual Result<Project> create_project(std::string_view user_id, const NewProject& project) = 0;
    [[nodiscard]] virtual Result<Project> get_project(std::string_view user_id, std::string_view project_id) = 0;
    /// The user's projects, newest first.
    [[nodiscard]] virtual Result<Page<Project>> list_projects(std::string_view user_id, const PageRequest& page) = 0;
    [[nodiscard]] virtual Result<Project> update_project(std::string_view user_id, std::string_view project_id,
                                                         const ProjectUpdate& update) = 0;
    /// Deletes the project with its messages, transcript, versions and sessions (not its git
    /// repo: that is ProjectRepos::remove).
    [[nodiscard]] virtual Result<void> delete_project(std::string_view user_id, std::string_view project_id) = 0;

    // Messages and transcripts ---------------------------------------------------------------

    [[nodiscard]] virtual Result<Message> add_message(std::string_view user_id, std::string_view project_id,
                                                      const NewMessage& message) = 0;
    /// Oldest first, so pages read like the conversation.
    [[nodiscard]] virtual Result<Page<Message>> list_messages(std::string_view user_id, std::string_view project_id,
                                                              const PageRequest& page) = 0;
    /// Replaces the project's transcript.
    [[nodiscard]] virtual Result<Transcript> save_transcript(std::string_view user_id, std::string_view project_id,
                                                             std::string_view turns_json) = 0;
    /// The stored transcript, or an empty one ("[]") when none was saved yet.
    [[nodiscard]] virtual Result<Transcript> load_transcript(std::string_view user_id, std::string_view project_id) = 0;

    // Sessions -------------------------------------------------------------------------------

    [[nodiscard]] virtual Result<SessionRecord> create_session(std::string_view user_id, const NewSession& session) = 0;
    [[nodiscard]] virtual Result<SessionRecord> get_session(std::string_view user_id, std::string_view session_id) = 0;
    [[nodiscard]] virtual Result<SessionRecord> update_session(std::string_view user_id, std::string_view session_id,
                                                               const SessionUpdate& update) = 0;
    /// The user's sessions over all projects, newest first.
    [[nodiscard]] virtual Result<Page<SessionRecord>> list_sessions(std::string_view user_id,
                                                                    const PageRequest& page) = 0;

    // Versions -------------------------------------------------------------------------------

    /// Records a version and makes it the project's current version, in one transaction.
    /// Conflict when the revision is already recorded for this project, or when `version.base` is
    /// given and the current version is no longer it (another writer moved it: nothing is written).
    [[nodiscard]] virtual Result<Version> add_version(std::string_view user_id, std::string_view project_id,
                                                      const NewVersion& version) = 0;
    /// Newest first.
    [[nodiscard]] virtual Result<Page<Version>> list_versions(std::string_view user_id, std::string_view project_id,
                                                              const PageRequest& page) = 0;
    [[nodiscard]] virtual Result<Version> get_version(std::string_view user_id, std::string_view project_id,
                                                      std::string_view revision) = 0;
};

/// Opens the SQLite store `atelier.db` in `data_dir` (created when missing) and migrates it.
/// InvalidConfig when the database's schema is newer than this binary knows.
[[nodiscard]] Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& data_dir);

/// Connects to PostgreSQL (`postgres://` or `postgresql://` URL, or a libpq key=value string)
/// and migrates the database. Same errors as open_sqlite_store.
[[nodiscard]] Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url);

/// `database` empty → SQLite in `data_dir`; a `postgres://` or `postgresql://` URL → PostgreSQL.
[[nodiscard]] Result<std::unique_ptr<Store>> open_store(const std::string& database,
                                                        const std::filesystem::path& data_dir);

} // namespace atelier::store
