// SPDX-License-Identifier: Apache-2.0
#include "store/sql_store.h"

#include <chrono>

#include <fmt/format.h>

#include "core/ids.h"
#include "store/migrations.h"
#include "store/secrets.h"

namespace atelier::store {
namespace {

constexpr std::size_t kMaxUserName = 64;
constexpr std::size_t kMaxLabel = 200;
constexpr std::size_t kMaxPassword = 4096;

constexpr std::string_view kUserColumns = "id, name, role, created_at";
constexpr std::string_view kTokenColumns = "id, user_id, label, created_at";

std::string_view role_name(UserRole role) {
    return role == UserRole::Admin ? "admin" : "member";
}

User user_from(const SqlRow& row) {
    return User{row.text(0), row.text(1), row.text(2) == "admin" ? UserRole::Admin : UserRole::Member, row.integer(3)};
}

ApiToken token_from(const SqlRow& row) {
    return ApiToken{row.text(0), row.text(1), row.text(2), row.integer(3)};
}

} // namespace

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Result<void> check_length(std::string_view field, std::string_view value, std::size_t min, std::size_t max) {
    if (value.size() < min) {
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: must not be empty", field));
    }
    if (value.size() > max) {
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: longer than {} bytes", field, max));
    }
    return {};
}

Result<std::unique_ptr<SqlStore>> SqlStore::create(std::unique_ptr<Database> database) {
    ATELIER_TRY(run_migrations(*database, builtin_migrations()));
    return std::unique_ptr<SqlStore>(new SqlStore(std::move(database)));
}

Result<std::vector<SqlRow>> SqlStore::run(std::string_view sql, std::initializer_list<SqlValue> params) {
    return m_database->query(sql, std::span<const SqlValue>(params.begin(), params.size()));
}

std::string_view SqlStore::backend_name() const {
    return m_database->dialect() == Dialect::Sqlite ? "sqlite" : "postgres";
}

Result<int> SqlStore::schema_version() {
    std::lock_guard lock(m_mutex);
    return current_schema_version(*m_database);
}

Result<void> SqlStore::ping() {
    std::lock_guard lock(m_mutex);
    ATELIER_TRY(run("SELECT 1", {}));
    return {};
}

// Users ---------------------------------------------------------------------------------------

Result<User> SqlStore::insert_user(const NewUser& user, std::optional<std::string> password_hash) {
    return in_transaction(*m_database, [&]() -> Result<User> {
        // Inside the write transaction, so two first users created at once cannot both be admin-less
        // or both become the first.
        const auto count = ATELIER_TRY(run("SELECT COUNT(*) FROM users", {}));
        const UserRole role = count.front().integer(0) == 0 ? UserRole::Admin : user.role;
        const SqlValue hash = password_hash ? SqlValue(*password_hash) : SqlValue(nullptr);
        auto rows = run(fmt::format("INSERT INTO users (id, name, role, password_hash, created_at) "
                                    "VALUES (?, ?, ?, ?, ?) RETURNING {}",
                                    kUserColumns),
                        {new_uuid(), user.name, std::string(role_name(role)), hash, now_ms()});
        if (!rows && rows.error().code == ErrorCode::Conflict) {
            return fail(ErrorCode::Conflict, fmt::format("name: a user called '{}' already exists", user.name));
        }
        return user_from(ATELIER_TRY(std::move(rows)).front());
    });
}

Result<User> SqlStore::create_user(const NewUser& user) {
    ATELIER_TRY(check_length("name", user.name, 1, kMaxUserName));
    std::optional<std::string> hash;
    if (user.password) {
        ATELIER_TRY(check_length("password", *user.password, 1, kMaxPassword));
        hash = ATELIER_TRY(hash_password(*user.password)); // slow on purpose: outside the lock
    }
    std::lock_guard lock(m_mutex);
    return insert_user(user, std::move(hash));
}

Result<User> SqlStore::get_user(std::string_view user_id) {
    std::lock_guard lock(m_mutex);
    const auto rows =
        ATELIER_TRY(run(fmt::format("SELECT {} FROM users WHERE id = ?", kUserColumns), {std::string(user_id)}));
    if (rows.empty()) {
        return fail(ErrorCode::NotFound, "no such user");
    }
    return user_from(rows.front());
}

Result<User> SqlStore::find_user_by_name(std::string_view name) {
    std::lock_guard lock(m_mutex);
    const auto rows =
        ATELIER_TRY(run(fmt::format("SELECT {} FROM users WHERE name = ?", kUserColumns), {std::string(name)}));
    if (rows.empty()) {
        return fail(ErrorCode::NotFound, fmt::format("no user called '{}'", name));
    }
    return user_from(rows.front());
}

Result<std::vector<User>> SqlStore::list_users() {
    std::lock_guard lock(m_mutex);
    const auto rows = ATELIER_TRY(run(fmt::format("SELECT {} FROM users ORDER BY created_at, id", kUserColumns), {}));
    std::vector<User> users;
    for (const auto& row : rows) {
        users.push_back(user_from(row));
    }
    return users;
}

Result<User> SqlStore::ensure_admin(std::string_view name) {
    ATELIER_TRY(check_length("name", name, 1, kMaxUserName));
    std::lock_guard lock(m_mutex);
    const auto rows = ATELIER_TRY(run(
        fmt::format("SELECT {} FROM users WHERE role = 'admin' ORDER BY created_at, id LIMIT 1", kUserColumns), {}));
    if (!rows.empty()) {
        return user_from(rows.front());
    }
    return insert_user(NewUser{std::string(name), std::nullopt, UserRole::Admin}, std::nullopt);
}

Result<User> SqlStore::verify_password(std::string_view name, std::string_view password) {
    std::optional<User> user;
    std::string hash;
    {
        std::lock_guard lock(m_mutex);
        const auto rows = ATELIER_TRY(
            run(fmt::format("SELECT {}, password_hash FROM users WHERE name = ?", kUserColumns), {std::string(name)}));
        if (!rows.empty() && rows.front().columns[4]) {
            user = user_from(rows.front());
            hash = rows.front().text(4);
        }
    }
    if (!user) {
        burn_password_check(password);
        return fail(ErrorCode::Unauthorized, "wrong user name or password");
    }
    if (!password_matches(hash, password)) {
        return fail(ErrorCode::Unauthorized, "wrong user name or password");
    }
    return *user;
}

// Tokens --------------------------------------------------------------------------------------

Result<CreatedToken> SqlStore::create_token(std::string_view user_id, std::string_view label) {
    CreatedToken created;
    created.secret = new_token_secret();
    created.token = ATELIER_TRY(register_token(user_id, label, created.secret));
    return created;
}

Result<ApiToken> SqlStore::register_token(std::string_view user_id, std::string_view label, std::string_view secret) {
    ATELIER_TRY(check_length("label", label, 0, kMaxLabel));
    ATELIER_TRY(check_length("token", secret, 16, 4096));
    const std::string hash = token_hash(secret);
    std::lock_guard lock(m_mutex);
    const auto existing =
        ATELIER_TRY(run(fmt::format("SELECT {} FROM api_tokens WHERE token_hash = ?", kTokenColumns), {hash}));
    if (!existing.empty()) {
        if (existing.front().text(1) == user_id) {
            return token_from(existing.front());
        }
        return fail(ErrorCode::Conflict, "token: already belongs to another user");
    }
    auto rows = run(fmt::format("INSERT INTO api_tokens (id, user_id, label, token_hash, created_at) "
                                "VALUES (?, ?, ?, ?, ?) RETURNING {}",
                                kTokenColumns),
                    {new_uuid(), std::string(user_id), std::string(label), hash, now_ms()});
    if (!rows && rows.error().code == ErrorCode::NotFound) {
        return fail(ErrorCode::NotFound, "no such user");
    }
    return token_from(ATELIER_TRY(std::move(rows)).front());
}

Result<std::vector<ApiToken>> SqlStore::list_tokens(std::string_view user_id) {
    std::lock_guard lock(m_mutex);
    const auto rows = ATELIER_TRY(
        run(fmt::format("SELECT {} FROM api_tokens WHERE user_id = ? ORDER BY created_at, id", kTokenColumns),
            {std::string(user_id)}));
    std::vector<ApiToken> tokens;
    for (const auto& row : rows) {
        tokens.push_back(token_from(row));
    }
    return tokens;
}

Result<void> SqlStore::revoke_token(std::string_view user_id, std::string_view token_id) {
    std::lock_guard lock(m_mutex);
    const auto rows = ATELIER_TRY(run("DELETE FROM api_tokens WHERE id = ? AND user_id = ? RETURNING id",
                                      {std::string(token_id), std::string(user_id)}));
    if (rows.empty()) {
        return fail(ErrorCode::NotFound, "no such token");
    }
    return {};
}

Result<User> SqlStore::find_user_by_token(std::string_view secret) {
    const std::string hash = token_hash(secret);
    std::lock_guard lock(m_mutex);
    const auto rows = ATELIER_TRY(run("SELECT u.id, u.name, u.role, u.created_at FROM api_tokens t "
                                      "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
                                      {hash}));
    if (rows.empty()) {
        return fail(ErrorCode::Unauthorized, "unknown or revoked token");
    }
    return user_from(rows.front());
}

// Factories -----------------------------------------------------------------------------------

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& data_dir) {
    std::error_code error;
    std::filesystem::create_directories(data_dir, error);
    if (error) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("cannot create data dir {}: {}", data_dir.string(), error.message()));
    }
    auto database = ATELIER_TRY(open_sqlite_database(data_dir / "atelier.db"));
    return std::unique_ptr<Store>(ATELIER_TRY(SqlStore::create(std::move(database))));
}

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url) {
    auto database = ATELIER_TRY(open_postgres_database(url));
    return std::unique_ptr<Store>(ATELIER_TRY(SqlStore::create(std::move(database))));
}

Result<std::unique_ptr<Store>> open_store(const std::string& database, const std::filesystem::path& data_dir) {
    if (database.empty() || database == "sqlite") {
        return open_sqlite_store(data_dir);
    }
    if (database.starts_with("postgres://") || database.starts_with("postgresql://")) {
        return open_postgres_store(database);
    }
    return fail(ErrorCode::InvalidConfig, "database: expected empty (SQLite in the data dir) or a postgres:// URL");
}

} // namespace atelier::store
