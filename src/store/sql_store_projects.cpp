// SPDX-License-Identifier: Apache-2.0
// SqlStore: the project-scoped half (projects, messages, transcripts, sessions, versions).
// Every query names the owner, so another user's rows are invisible rather than forbidden.

#include <limits>

#include <fmt/format.h>

#include "core/ids.h"
#include "store/cursor.h"
#include "store/sql_store.h"

namespace atelier::store {
namespace {

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxShort = 64;
constexpr std::size_t kMaxContent = 16 * 1024 * 1024;
constexpr std::size_t kMaxRevision = 64;

constexpr std::string_view kProjectColumns = "id, owner_id, name, kind, created_at, updated_at, current_version";
constexpr std::string_view kMessageColumns = "id, project_id, role, content, tool_actions, created_at";
constexpr std::string_view kSessionColumns = "s.id, s.project_id, s.state, s.engine, s.created_at, s.updated_at";
constexpr std::string_view kVersionColumns = "id, project_id, revision, message, author, created_at";

Project project_from(const SqlRow& row) {
    return Project{row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4), row.integer(5), row.text(6)};
}

Message message_from(const SqlRow& row) {
    return Message{row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4), row.integer(5)};
}

SessionRecord session_from(const SqlRow& row) {
    return SessionRecord{row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4), row.integer(5)};
}

Version version_from(const SqlRow& row) {
    return Version{row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4), row.integer(5)};
}

Error project_not_found() {
    return Error{ErrorCode::NotFound, "no such project"};
}

/// Turns `limit + 1` fetched rows into a page: the extra row only says that another page exists.
template <class T, class Convert, class Key>
Page<T> make_page(const std::vector<SqlRow>& rows, int limit, Convert convert, Key key) {
    Page<T> page;
    for (const auto& row : rows) {
        if (static_cast<int>(page.items.size()) == limit) {
            page.next_cursor = key(page.items.back());
            break;
        }
        page.items.push_back(convert(row));
    }
    return page;
}

} // namespace

// Projects ------------------------------------------------------------------------------------

Result<Project> SqlStore::load_project(std::string_view user_id, std::string_view project_id) {
    const auto rows =
        ATELIER_TRY(run(fmt::format("SELECT {} FROM projects WHERE id = ? AND owner_id = ?", kProjectColumns),
                        {std::string(project_id), std::string(user_id)}));
    if (rows.empty()) {
        return fail(project_not_found());
    }
    return project_from(rows.front());
}

Result<Project> SqlStore::create_project(std::string_view user_id, const NewProject& project) {
    ATELIER_TRY(check_length("name", project.name, 1, kMaxName));
    ATELIER_TRY(check_length("kind", project.kind, 1, kMaxShort));
    std::lock_guard lock(m_mutex);
    const std::int64_t now = now_ms();
    auto rows = run(fmt::format("INSERT INTO projects (id, owner_id, name, kind, created_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?, ?) RETURNING {}",
                                kProjectColumns),
                    {new_uuid(), std::string(user_id), project.name, project.kind, now, now});
    if (!rows && rows.error().code == ErrorCode::NotFound) {
        return fail(ErrorCode::NotFound, "no such user");
    }
    return project_from(ATELIER_TRY(std::move(rows)).front());
}

Result<Project> SqlStore::get_project(std::string_view user_id, std::string_view project_id) {
    std::lock_guard lock(m_mutex);
    return load_project(user_id, project_id);
}

Result<Page<Project>> SqlStore::list_projects(std::string_view user_id, const PageRequest& page) {
    const int limit = ATELIER_TRY(page_limit(page));
    std::lock_guard lock(m_mutex);
    std::vector<SqlRow> rows;
    if (page.cursor.empty()) {
        rows = ATELIER_TRY(run(fmt::format("SELECT {} FROM projects WHERE owner_id = ? "
                                           "ORDER BY created_at DESC, id DESC LIMIT ?",
                                           kProjectColumns),
                               {std::string(user_id), std::int64_t{limit + 1}}));
    } else {
        const TimeKey after = ATELIER_TRY(decode_time_cursor(page.cursor));
        rows = ATELIER_TRY(
            run(fmt::format("SELECT {} FROM projects WHERE owner_id = ? "
                            "AND (created_at < ? OR (created_at = ? AND id < ?)) "
                            "ORDER BY created_at DESC, id DESC LIMIT ?",
                            kProjectColumns),
                {std::string(user_id), after.created_at, after.created_at, after.id, std::int64_t{limit + 1}}));
    }
    return make_page<Project>(rows, limit, project_from, [](const Project& last) {
        return encode_cursor(TimeKey{last.created_at, last.id});
    });
}

Result<Project> SqlStore::update_project(std::string_view user_id, std::string_view project_id,
                                         const ProjectUpdate& update) {
    if (update.name) {
        ATELIER_TRY(check_length("name", *update.name, 1, kMaxName));
    }
    if (update.current_version) {
        ATELIER_TRY(check_length("current_version", *update.current_version, 0, kMaxRevision));
    }
    std::lock_guard lock(m_mutex);
    const SqlValue name = update.name ? SqlValue(*update.name) : SqlValue(nullptr);
    const SqlValue version = update.current_version ? SqlValue(*update.current_version) : SqlValue(nullptr);
    const auto rows = ATELIER_TRY(run(fmt::format("UPDATE projects SET name = COALESCE(?, name), "
                                                  "current_version = COALESCE(?, current_version), updated_at = ? "
                                                  "WHERE id = ? AND owner_id = ? RETURNING {}",
                                                  kProjectColumns),
                                      {name, version, now_ms(), std::string(project_id), std::string(user_id)}));
    if (rows.empty()) {
        return fail(project_not_found());
    }
    return project_from(rows.front());
}

Result<void> SqlStore::delete_project(std::string_view user_id, std::string_view project_id) {
    std::lock_guard lock(m_mutex);
    // ON DELETE CASCADE removes messages, the transcript, sessions and versions in the same statement.
    const auto rows = ATELIER_TRY(run("DELETE FROM projects WHERE id = ? AND owner_id = ? RETURNING id",
                                      {std::string(project_id), std::string(user_id)}));
    if (rows.empty()) {
        return fail(project_not_found());
    }
    return {};
}

// Messages and transcripts --------------------------------------------------------------------

Result<Message> SqlStore::add_message(std::string_view user_id, std::string_view project_id,
                                      const NewMessage& message) {
    ATELIER_TRY(check_length("role", message.role, 1, kMaxShort));
    ATELIER_TRY(check_length("content", message.content, 0, kMaxContent));
    ATELIER_TRY(check_length("tool_actions", message.tool_actions, 1, kMaxContent));
    std::lock_guard lock(m_mutex);
    return in_transaction(*m_database, [&]() -> Result<Message> {
        const std::int64_t now = now_ms();
        const auto touched = ATELIER_TRY(run("UPDATE projects SET updated_at = ? WHERE id = ? AND owner_id = ? "
                                             "RETURNING id",
                                             {now, std::string(project_id), std::string(user_id)}));
        if (touched.empty()) {
            return fail(project_not_found());
        }
        const auto rows =
            ATELIER_TRY(run(fmt::format("INSERT INTO messages (project_id, role, content, "
                                        "tool_actions, created_at) VALUES (?, ?, ?, ?, ?) RETURNING {}",
                                        kMessageColumns),
                            {std::string(project_id), message.role, message.content, message.tool_actions, now}));
        return message_from(rows.front());
    });
}

Result<Page<Message>> SqlStore::list_messages(std::string_view user_id, std::string_view project_id,
                                              const PageRequest& page) {
    const int limit = ATELIER_TRY(page_limit(page));
    const std::int64_t after = page.cursor.empty() ? 0 : ATELIER_TRY(decode_id_cursor(page.cursor));
    std::lock_guard lock(m_mutex);
    ATELIER_TRY(load_project(user_id, project_id));
    const auto rows = ATELIER_TRY(run(fmt::format("SELECT {} FROM messages WHERE project_id = ? AND id > ? "
                                                  "ORDER BY id LIMIT ?",
                                                  kMessageColumns),
                                      {std::string(project_id), after, std::int64_t{limit + 1}}));
    return make_page<Message>(rows, limit, message_from, [](const Message& last) { return encode_cursor(last.id); });
}

Result<Transcript> SqlStore::save_transcript(std::string_view user_id, std::string_view project_id,
                                             std::string_view turns_json) {
    ATELIER_TRY(check_length("turns", turns_json, 1, kMaxContent * 4));
    std::lock_guard lock(m_mutex);
    ATELIER_TRY(load_project(user_id, project_id));
    const auto rows = ATELIER_TRY(run("INSERT INTO transcripts (project_id, turns, updated_at) VALUES (?, ?, ?) "
                                      "ON CONFLICT (project_id) DO UPDATE SET turns = excluded.turns, "
                                      "updated_at = excluded.updated_at RETURNING project_id, turns, updated_at",
                                      {std::string(project_id), std::string(turns_json), now_ms()}));
    return Transcript{rows.front().text(0), rows.front().text(1), rows.front().integer(2)};
}

Result<Transcript> SqlStore::load_transcript(std::string_view user_id, std::string_view project_id) {
    std::lock_guard lock(m_mutex);
    ATELIER_TRY(load_project(user_id, project_id));
    const auto rows = ATELIER_TRY(
        run("SELECT project_id, turns, updated_at FROM transcripts WHERE project_id = ?", {std::string(project_id)}));
    if (rows.empty()) {
        return Transcript{std::string(project_id), "[]", 0};
    }
    return Transcript{rows.front().text(0), rows.front().text(1), rows.front().integer(2)};
}

// Sessions ------------------------------------------------------------------------------------

Result<SessionRecord> SqlStore::load_session(std::string_view user_id, std::string_view session_id) {
    const auto rows = ATELIER_TRY(run(fmt::format("SELECT {} FROM sessions s JOIN projects p ON p.id = s.project_id "
                                                  "WHERE s.id = ? AND p.owner_id = ?",
                                                  kSessionColumns),
                                      {std::string(session_id), std::string(user_id)}));
    if (rows.empty()) {
        return fail(ErrorCode::NotFound, "no such session");
    }
    return session_from(rows.front());
}

Result<SessionRecord> SqlStore::create_session(std::string_view user_id, const NewSession& session) {
    ATELIER_TRY(check_length("id", session.id, 0, kMaxShort));
    ATELIER_TRY(check_length("state", session.state, 1, kMaxShort));
    ATELIER_TRY(check_length("engine", session.engine, 0, kMaxShort));
    std::lock_guard lock(m_mutex);
    ATELIER_TRY(load_project(user_id, session.project_id));
    const std::string id = session.id.empty() ? new_uuid() : session.id;
    const std::int64_t now = now_ms();
    auto inserted = run("INSERT INTO sessions (id, project_id, state, engine, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        {id, session.project_id, session.state, session.engine, now, now});
    if (!inserted && inserted.error().code == ErrorCode::Conflict) {
        return fail(ErrorCode::Conflict, "id: a session with this id already exists");
    }
    ATELIER_TRY(std::move(inserted));
    return SessionRecord{id, session.project_id, session.state, session.engine, now, now};
}

Result<SessionRecord> SqlStore::get_session(std::string_view user_id, std::string_view session_id) {
    std::lock_guard lock(m_mutex);
    return load_session(user_id, session_id);
}

Result<SessionRecord> SqlStore::update_session(std::string_view user_id, std::string_view session_id,
                                               const SessionUpdate& update) {
    if (update.state) {
        ATELIER_TRY(check_length("state", *update.state, 1, kMaxShort));
    }
    if (update.engine) {
        ATELIER_TRY(check_length("engine", *update.engine, 0, kMaxShort));
    }
    std::lock_guard lock(m_mutex);
    SessionRecord session = ATELIER_TRY(load_session(user_id, session_id));
    session.state = update.state.value_or(session.state);
    session.engine = update.engine.value_or(session.engine);
    session.updated_at = now_ms();
    ATELIER_TRY(run("UPDATE sessions SET state = ?, engine = ?, updated_at = ? WHERE id = ?",
                    {session.state, session.engine, session.updated_at, session.id}));
    return session;
}

Result<Page<SessionRecord>> SqlStore::list_sessions(std::string_view user_id, const PageRequest& page) {
    const int limit = ATELIER_TRY(page_limit(page));
    std::lock_guard lock(m_mutex);
    std::vector<SqlRow> rows;
    const std::string base = fmt::format("SELECT {} FROM sessions s JOIN projects p ON p.id = s.project_id "
                                         "WHERE p.owner_id = ? ",
                                         kSessionColumns);
    if (page.cursor.empty()) {
        rows = ATELIER_TRY(run(base + "ORDER BY s.created_at DESC, s.id DESC LIMIT ?",
                               {std::string(user_id), std::int64_t{limit + 1}}));
    } else {
        const TimeKey after = ATELIER_TRY(decode_time_cursor(page.cursor));
        rows = ATELIER_TRY(
            run(base + "AND (s.created_at < ? OR (s.created_at = ? AND s.id < ?)) "
                       "ORDER BY s.created_at DESC, s.id DESC LIMIT ?",
                {std::string(user_id), after.created_at, after.created_at, after.id, std::int64_t{limit + 1}}));
    }
    return make_page<SessionRecord>(rows, limit, session_from, [](const SessionRecord& last) {
        return encode_cursor(TimeKey{last.created_at, last.id});
    });
}

// Versions ------------------------------------------------------------------------------------

Result<Version> SqlStore::add_version(std::string_view user_id, std::string_view project_id,
                                      const NewVersion& version) {
    ATELIER_TRY(check_length("revision", version.revision, 1, kMaxRevision));
    ATELIER_TRY(check_length("message", version.message, 0, kMaxContent));
    ATELIER_TRY(check_length("author", version.author, 0, kMaxName));
    std::lock_guard lock(m_mutex);
    return in_transaction(*m_database, [&]() -> Result<Version> {
        const std::int64_t now = now_ms();
        // Compare-and-swap on the current version when the writer names its base.
        const auto touched = ATELIER_TRY(
            run("UPDATE projects SET current_version = ?, updated_at = ? WHERE id = ? AND owner_id = ? "
                "AND (? = '' OR current_version = ?) RETURNING id",
                {version.revision, now, std::string(project_id), std::string(user_id), version.base, version.base}));
        if (touched.empty()) {
            const auto current = ATELIER_TRY(load_project(user_id, project_id));
            return fail(ErrorCode::Conflict,
                        fmt::format("the project moved on: this version was made on {}, the project is now at {}",
                                    version.base.substr(0, 10), current.current_version.substr(0, 10)));
        }
        auto rows = run(fmt::format("INSERT INTO versions (project_id, revision, message, author, created_at) "
                                    "VALUES (?, ?, ?, ?, ?) RETURNING {}",
                                    kVersionColumns),
                        {std::string(project_id), version.revision, version.message, version.author, now});
        if (!rows && rows.error().code == ErrorCode::Conflict) {
            return fail(ErrorCode::Conflict, "revision: already recorded for this project");
        }
        return version_from(ATELIER_TRY(std::move(rows)).front());
    });
}

Result<Page<Version>> SqlStore::list_versions(std::string_view user_id, std::string_view project_id,
                                              const PageRequest& page) {
    const int limit = ATELIER_TRY(page_limit(page));
    const std::int64_t before =
        page.cursor.empty() ? std::numeric_limits<std::int64_t>::max() : ATELIER_TRY(decode_id_cursor(page.cursor));
    std::lock_guard lock(m_mutex);
    ATELIER_TRY(load_project(user_id, project_id));
    const auto rows = ATELIER_TRY(run(fmt::format("SELECT {} FROM versions WHERE project_id = ? AND id < ? "
                                                  "ORDER BY id DESC LIMIT ?",
                                                  kVersionColumns),
                                      {std::string(project_id), before, std::int64_t{limit + 1}}));
    return make_page<Version>(rows, limit, version_from, [](const Version& last) { return encode_cursor(last.id); });
}

Result<Version> SqlStore::get_version(std::string_view user_id, std::string_view project_id,
                                      std::string_view revision) {
    std::lock_guard lock(m_mutex);
    ATELIER_TRY(load_project(user_id, project_id));
    const auto rows =
        ATELIER_TRY(run(fmt::format("SELECT {} FROM versions WHERE project_id = ? AND revision = ?", kVersionColumns),
                        {std::string(project_id), std::string(revision)}));
    if (rows.empty()) {
        return fail(ErrorCode::NotFound, "no such version");
    }
    return version_from(rows.front());
}

} // namespace atelier::store
