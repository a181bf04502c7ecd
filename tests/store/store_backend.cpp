// SPDX-License-Identifier: Apache-2.0
#include "store_backend.h"

#include <filesystem>
#include <unistd.h>

#include "postgres_server.h"

namespace atelier::store::testing {
namespace fs = std::filesystem;

namespace {

class SqliteBackend final : public StoreBackend {
public:
    explicit SqliteBackend(fs::path directory) : m_directory(std::move(directory)) {}
    ~SqliteBackend() override {
        std::error_code error;
        fs::remove_all(m_directory, error);
    }
    Result<std::unique_ptr<Store>> open() override { return open_sqlite_store(m_directory); }
    Result<std::unique_ptr<Database>> open_database() override {
        return open_sqlite_database(m_directory / "atelier.db");
    }

private:
    fs::path m_directory;
};

class PostgresBackend final : public StoreBackend {
public:
    explicit PostgresBackend(std::string url) : m_url(std::move(url)) {}
    Result<std::unique_ptr<Store>> open() override { return open_postgres_store(m_url); }
    Result<std::unique_ptr<Database>> open_database() override { return open_postgres_database(m_url); }

private:
    std::string m_url;
};

} // namespace

Result<std::unique_ptr<StoreBackend>> make_sqlite_backend() {
    std::string pattern = (fs::temp_directory_path() / "atelier-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return fail(ErrorCode::Unavailable, "mkdtemp failed");
    }
    return std::unique_ptr<StoreBackend>(new SqliteBackend(pattern));
}

Result<std::unique_ptr<StoreBackend>> make_postgres_backend() {
    PostgresServer* server = ATELIER_TRY(PostgresServer::shared());
    std::string url = ATELIER_TRY(server->create_database());
    return std::unique_ptr<StoreBackend>(new PostgresBackend(std::move(url)));
}

} // namespace atelier::store::testing
