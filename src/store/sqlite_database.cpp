// SPDX-License-Identifier: Apache-2.0
#include <sqlite3.h>

#include <fmt/format.h>

#include "store/database.h"

namespace atelier::store {
namespace {

// An acknowledged write must survive kill -9 of the hub and, as far as the disk honours fsync,
// a power cut. WAL with synchronous=NORMAL already survives a process kill (committed frames are
// in the OS page cache), but can lose the last transactions on power loss; FULL fsyncs the WAL at
// every commit, so an acknowledged write is on disk. The cost is one fsync per write transaction.
constexpr const char* kPragmas = "PRAGMA journal_mode=WAL;"
                                 "PRAGMA synchronous=FULL;"
                                 "PRAGMA foreign_keys=ON;";
constexpr int kBusyTimeoutMs = 5000;

ErrorCode code_for(int result) {
    switch (result & 0xff) {
    case SQLITE_CONSTRAINT:
        if (result == SQLITE_CONSTRAINT_FOREIGNKEY) {
            return ErrorCode::NotFound;
        }
        if (result == SQLITE_CONSTRAINT_UNIQUE || result == SQLITE_CONSTRAINT_PRIMARYKEY) {
            return ErrorCode::Conflict;
        }
        return ErrorCode::InvalidArgument;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return ErrorCode::Unavailable;
    default:
        return ErrorCode::Internal;
    }
}

class SqliteDatabase final : public Database {
public:
    explicit SqliteDatabase(sqlite3* handle) : m_handle(handle) {}
    ~SqliteDatabase() override { sqlite3_close_v2(m_handle); }
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    Dialect dialect() const override { return Dialect::Sqlite; }

    Result<std::vector<SqlRow>> query(std::string_view sql, std::span<const SqlValue> params) override {
        sqlite3_stmt* statement = nullptr;
        int result = sqlite3_prepare_v2(m_handle, sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
        if (result != SQLITE_OK) {
            return failure(result, "prepare");
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            const int index = static_cast<int>(i + 1);
            if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
                result = sqlite3_bind_int64(statement, index, *number);
            } else if (const auto* text = std::get_if<std::string>(&params[i])) {
                result =
                    sqlite3_bind_text(statement, index, text->data(), static_cast<int>(text->size()), SQLITE_TRANSIENT);
            } else {
                result = sqlite3_bind_null(statement, index);
            }
            if (result != SQLITE_OK) {
                sqlite3_finalize(statement);
                return failure(result, "bind");
            }
        }
        std::vector<SqlRow> rows;
        while ((result = sqlite3_step(statement)) == SQLITE_ROW) {
            SqlRow row;
            const int count = sqlite3_column_count(statement);
            row.columns.reserve(static_cast<std::size_t>(count));
            for (int column = 0; column < count; ++column) {
                if (sqlite3_column_type(statement, column) == SQLITE_NULL) {
                    row.columns.emplace_back(std::nullopt);
                    continue;
                }
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
                const int size = sqlite3_column_bytes(statement, column);
                row.columns.emplace_back(std::string(text, static_cast<std::size_t>(size)));
            }
            rows.push_back(std::move(row));
        }
        // sqlite3_finalize returns the extended code of the failed step.
        const int final_result = sqlite3_finalize(statement);
        if (result != SQLITE_DONE) {
            return failure(final_result, "step");
        }
        return rows;
    }

    Result<void> execute_script(std::string_view sql) override {
        char* message = nullptr;
        const std::string text(sql);
        const int result = sqlite3_exec(m_handle, text.c_str(), nullptr, nullptr, &message);
        if (result != SQLITE_OK) {
            std::string detail = message != nullptr ? message : sqlite3_errstr(result);
            sqlite3_free(message);
            return fail(code_for(sqlite3_extended_errcode(m_handle)), "sqlite: " + detail);
        }
        return {};
    }

    Result<void> begin() override { return execute_script("BEGIN IMMEDIATE"); }
    Result<void> commit() override { return execute_script("COMMIT"); }
    void rollback() override {
        if (sqlite3_get_autocommit(m_handle) == 0) {
            (void)execute_script("ROLLBACK");
        }
    }

private:
    tl::unexpected<Error> failure(int result, std::string_view step) {
        return fail(code_for(sqlite3_extended_errcode(m_handle) != 0 ? sqlite3_extended_errcode(m_handle) : result),
                    fmt::format("sqlite {}: {}", step, sqlite3_errmsg(m_handle)));
    }

    sqlite3* m_handle;
};

} // namespace

Result<std::unique_ptr<Database>> open_sqlite_database(const std::filesystem::path& path) {
    sqlite3* handle = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int result = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
    if (result != SQLITE_OK) {
        std::string detail = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(result);
        sqlite3_close_v2(handle);
        return fail(ErrorCode::Unavailable, fmt::format("cannot open {}: {}", path.string(), detail));
    }
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_busy_timeout(handle, kBusyTimeoutMs);
    auto database = std::make_unique<SqliteDatabase>(handle);
    if (auto configured = database->execute_script(kPragmas); !configured) {
        return fail(configured.error().code,
                    fmt::format("cannot configure {}: {}", path.string(), configured.error().message));
    }
    // journal_mode=WAL silently stays "delete" on file systems without shared memory; say so.
    auto mode = database->query("PRAGMA journal_mode", {});
    if (!mode || mode->empty() || mode->front().text(0) != "wal") {
        return fail(ErrorCode::Unavailable, fmt::format("{}: cannot switch to WAL journal mode", path.string()));
    }
    return std::unique_ptr<Database>(std::move(database));
}

} // namespace atelier::store
