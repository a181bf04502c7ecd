// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <span>
#include <string_view>

#include "core/result.h"
#include "store/database.h"

namespace atelier::store {

/// One numbered schema step. `sql` is written once for both dialects; `{{serial}}` stands for an
/// auto-incrementing 64-bit primary key, the one thing the two spell differently.
struct Migration {
    int version = 0;
    std::string_view name;
    std::string_view sql;
};

/// The schema this binary knows, in order (versions 1, 2, ...). Append new steps; never edit one
/// that has shipped.
[[nodiscard]] std::span<const Migration> builtin_migrations();

/// The database's schema version; 0 when it was never migrated.
[[nodiscard]] Result<int> current_schema_version(Database& database);

/// Brings the database up to the last of `migrations` in one transaction (PostgreSQL also takes
/// an advisory lock, so two hubs starting at once migrate one after the other) and returns the
/// resulting version. InvalidConfig when the database is already at a newer version than
/// `migrations` knows: an older binary must not write to a schema it does not understand.
[[nodiscard]] Result<int> run_migrations(Database& database, std::span<const Migration> migrations);

} // namespace atelier::store
