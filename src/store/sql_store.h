// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <initializer_list>
#include <memory>
#include <mutex>

#include "store/database.h"
#include "store/store.h"

namespace atelier::store {

/// The one Store implementation, over either SQL backend. Every statement is written once with
/// `?` placeholders in the SQL both SQLite and PostgreSQL accept (RETURNING included), so the
/// two backends cannot drift apart in behaviour.
///
/// Thread-safety: one connection guarded by one mutex. Writes are short transactions, so the
/// lock is held for about one fsync; password hashing happens outside it. A deployment that
/// outgrows this wants a connection pool for PostgreSQL, which this class's shape allows.
class SqlStore final : public Store {
public:
    /// Migrates `database` and wraps it.
    [[nodiscard]] static Result<std::unique_ptr<SqlStore>> create(std::unique_ptr<Database> database);

    std::string_view backend_name() const override;
    Result<int> schema_version() override;
    Result<void> ping() override;

    Result<User> create_user(const NewUser& user) override;
    Result<User> get_user(std::string_view user_id) override;
    Result<User> find_user_by_name(std::string_view name) override;
    Result<std::vector<User>> list_users() override;
    Result<User> ensure_admin(std::string_view name) override;
    Result<User> verify_password(std::string_view name, std::string_view password) override;
    Result<CreatedToken> create_token(std::string_view user_id, std::string_view label) override;
    Result<ApiToken> register_token(std::string_view user_id, std::string_view label, std::string_view secret) override;
    Result<std::vector<ApiToken>> list_tokens(std::string_view user_id) override;
    Result<void> revoke_token(std::string_view user_id, std::string_view token_id) override;
    Result<User> find_user_by_token(std::string_view secret) override;

    Result<Project> create_project(std::string_view user_id, const NewProject& project) override;
    Result<Project> get_project(std::string_view user_id, std::string_view project_id) override;
    Result<Page<Project>> list_projects(std::string_view user_id, const PageRequest& page) override;
    Result<Project> update_project(std::string_view user_id, std::string_view project_id,
                                   const ProjectUpdate& update) override;
    Result<void> delete_project(std::string_view user_id, std::string_view project_id) override;

    Result<Message> add_message(std::string_view user_id, std::string_view project_id,
                                const NewMessage& message) override;
    Result<Page<Message>> list_messages(std::string_view user_id, std::string_view project_id,
                                        const PageRequest& page) override;
    Result<Transcript> save_transcript(std::string_view user_id, std::string_view project_id,
                                       std::string_view turns_json) override;
    Result<Transcript> load_transcript(std::string_view user_id, std::string_view project_id) override;

    Result<SessionRecord> create_session(std::string_view user_id, const NewSession& session) override;
    Result<SessionRecord> get_session(std::string_view user_id, std::string_view session_id) override;
    Result<SessionRecord> update_session(std::string_view user_id, std::string_view session_id,
                                         const SessionUpdate& update) override;
    Result<Page<SessionRecord>> list_sessions(std::string_view user_id, const PageRequest& page) override;

    Result<Version> add_version(std::string_view user_id, std::string_view project_id,
                                const NewVersion& version) override;
    Result<Page<Version>> list_versions(std::string_view user_id, std::string_view project_id,
                                        const PageRequest& page) override;
    Result<Version> get_version(std::string_view user_id, std::string_view project_id,
                                std::string_view revision) override;

private:
    explicit SqlStore(std::unique_ptr<Database> database) : m_database(std::move(database)) {}

    // Callers hold m_mutex.
    Result<std::vector<SqlRow>> run(std::string_view sql, std::initializer_list<SqlValue> params);
    Result<User> insert_user(const NewUser& user, std::optional<std::string> password_hash);
    Result<Project> load_project(std::string_view user_id, std::string_view project_id);
    Result<SessionRecord> load_session(std::string_view user_id, std::string_view session_id);

    std::mutex m_mutex;
    std::unique_ptr<Database> m_database;
};

/// Internal helpers shared by the SqlStore source files.
[[nodiscard]] std::int64_t now_ms();
/// InvalidArgument naming `field` unless `value` is between `min` and `max` bytes long.
[[nodiscard]] Result<void> check_length(std::string_view field, std::string_view value, std::size_t min,
                                        std::size_t max);

} // namespace atelier::store
