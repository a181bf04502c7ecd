// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace atelier::store {

/// Internal to the store module (and its tests): the little a SQL backend must provide so that
/// one SqlStore implements every Store call for both SQLite and PostgreSQL.

enum class Dialect { Sqlite, Postgres };

/// A bound parameter: NULL, a 64-bit integer or text.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

/// One result row; every column arrives as text (both backends can render any value as text),
/// NULL as nullopt.
struct SqlRow {
    std::vector<std::optional<std::string>> columns;

    [[nodiscard]] const std::string& text(std::size_t column) const;
    [[nodiscard]] std::int64_t integer(std::size_t column) const;
};

/// A single database connection. Not thread-safe: SqlStore holds a mutex around it.
class Database {
public:
    virtual ~Database() = default;

    [[nodiscard]] virtual Dialect dialect() const = 0;

    /// Runs one statement with `?` placeholders bound in order, returning its rows.
    /// A unique-constraint violation is Conflict, a foreign-key violation NotFound.
    [[nodiscard]] virtual Result<std::vector<SqlRow>> query(std::string_view sql, std::span<const SqlValue> params) = 0;

    /// Runs several statements without parameters (migrations).
    [[nodiscard]] virtual Result<void> execute_script(std::string_view sql) = 0;

    /// Starts a transaction that will write (SQLite: BEGIN IMMEDIATE, so the write lock is taken
    /// up front and a busy database fails at BEGIN, not halfway through).
    [[nodiscard]] virtual Result<void> begin() = 0;
    [[nodiscard]] virtual Result<void> commit() = 0;
    /// Best effort; used on an error path.
    virtual void rollback() = 0;
};

/// Opens (creating) the SQLite file at `path` with WAL, synchronous=FULL, foreign keys and a busy
/// timeout. Not migrated.
[[nodiscard]] Result<std::unique_ptr<Database>> open_sqlite_database(const std::filesystem::path& path);

/// Connects to PostgreSQL. Not migrated.
[[nodiscard]] Result<std::unique_ptr<Database>> open_postgres_database(const std::string& url);

/// Runs `work` inside begin/commit, rolling back when it fails.
template <class Work> auto in_transaction(Database& database, Work&& work) -> decltype(work()) {
    if (auto begun = database.begin(); !begun) {
        return tl::unexpected<Error>(std::move(begun).error());
    }
    auto result = work();
    if (!result) {
        database.rollback();
        return result;
    }
    if (auto committed = database.commit(); !committed) {
        database.rollback();
        return tl::unexpected<Error>(std::move(committed).error());
    }
    return result;
}

} // namespace atelier::store
