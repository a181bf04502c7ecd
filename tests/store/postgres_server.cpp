// SPDX-License-Identifier: Apache-2.0
#include "postgres_server.h"

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "store/database.h"

namespace atelier::store::testing {
namespace fs = std::filesystem;

namespace {

constexpr int kPort = 5432; // only names the socket file inside our private directory

Result<std::string> find_bindir() {
    if (const char* configured = std::getenv("ATELIER_PG_BINDIR"); configured != nullptr && *configured != 0) {
        return std::string(configured);
    }
    std::vector<std::pair<int, std::string>> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
        const fs::path bin = entry.path() / "bin";
        if (fs::exists(bin / "initdb", error) && fs::exists(bin / "pg_ctl", error)) {
            found.emplace_back(std::atoi(entry.path().filename().c_str()), bin.string());
        }
    }
    if (found.empty()) {
        return fail(ErrorCode::Unavailable,
                    "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: apt-get install postgresql "
                    "(or set ATELIER_PG_BINDIR)");
    }
    std::sort(found.begin(), found.end());
    return found.back().second;
}

/// Runs as the postgres user when we are root (PostgreSQL refuses root), as ourselves otherwise.
std::string as_server_user(const std::string& command) {
    return geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

std::string server_control(const std::string& bindir, const std::string& directory, const std::string& action) {
    return as_server_user(fmt::format("{}/pg_ctl -D {}/data -m immediate -w {} >>{}/pg_ctl.log 2>&1", bindir, directory,
                                      action, directory));
}

} // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::start() {
    const std::string bindir = ATELIER_TRY(find_bindir());
    std::string pattern = (fs::temp_directory_path() / "atelier-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        return fail(ErrorCode::Unavailable, "mkdtemp failed");
    }
    std::unique_ptr<PostgresServer> server(new PostgresServer());
    server->m_directory = pattern;
    const std::string& dir = server->m_directory;
    if (geteuid() == 0) {
        const passwd* user = ::getpwnam("postgres");
        if (user == nullptr || ::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
            return fail(ErrorCode::Unavailable,
                        "running as root needs the 'postgres' user (apt-get install postgresql)");
        }
    }

    // The watchdog holds the read end; the write end is close-on-exec, so only this process has
    // it. When this process ends for any reason, read() returns and the watchdog cleans up.
    int pipe_ends[2];
    if (::pipe2(pipe_ends, O_CLOEXEC) != 0) {
        return fail(ErrorCode::Unavailable, "pipe failed");
    }
    const pid_t watchdog = ::fork();
    if (watchdog == 0) {
        ::close(pipe_ends[1]);
        char byte = 0;
        while (::read(pipe_ends[0], &byte, 1) > 0) {
        }
        (void)std::system(server_control(bindir, dir, "stop").c_str());
        std::error_code error;
        fs::remove_all(dir, error);
        ::_exit(0);
    }
    ::close(pipe_ends[0]);
    server->m_watchdog = watchdog;
    server->m_watchdog_pipe = pipe_ends[1];

    const std::string initdb =
        as_server_user(fmt::format("{}/initdb -D {}/data -U atelier -A trust --no-sync -E UTF8 --locale=C "
                                   ">{}/initdb.log 2>&1",
                                   bindir, dir, dir));
    if (std::system(initdb.c_str()) != 0) {
        return fail(ErrorCode::Unavailable, fmt::format("initdb failed, see {}/initdb.log", dir));
    }
    ATELIER_TRY(server->start_again());
    return server;
}

Result<void> PostgresServer::start_again() {
    const std::string bindir = ATELIER_TRY(find_bindir());
    const std::string& dir = m_directory;
    // fsync off: the tests exercise behaviour, not PostgreSQL's own durability.
    const std::string start = as_server_user(
        fmt::format("{}/pg_ctl -D {}/data -l {}/server.log -w -t 60 -o \"-k {} -p {} -c listen_addresses='' "
                    "-c fsync=off -c full_page_writes=off\" start >>{}/pg_ctl.log 2>&1",
                    bindir, dir, dir, dir, kPort, dir));
    if (std::system(start.c_str()) != 0) {
        return fail(ErrorCode::Unavailable, fmt::format("pg_ctl start failed, see {}/server.log", dir));
    }
    return {};
}

Result<void> PostgresServer::stop(const std::string& mode) {
    const std::string bindir = ATELIER_TRY(find_bindir());
    const std::string command = as_server_user(fmt::format(
        "{}/pg_ctl -D {}/data -m {} -w -t 60 stop >>{}/pg_ctl.log 2>&1", bindir, m_directory, mode, m_directory));
    if (std::system(command.c_str()) != 0) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("pg_ctl stop -m {} failed, see {}/pg_ctl.log", mode, m_directory));
    }
    return {};
}

Result<void> PostgresServer::restart(const std::string& mode) {
    const std::string bindir = ATELIER_TRY(find_bindir());
    const std::string command =
        as_server_user(fmt::format("{}/pg_ctl -D {}/data -l {}/server.log -m {} -w -t 60 restart >>{}/pg_ctl.log 2>&1",
                                   bindir, m_directory, m_directory, mode, m_directory));
    if (std::system(command.c_str()) != 0) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("pg_ctl restart -m {} failed, see {}/pg_ctl.log", mode, m_directory));
    }
    return {};
}

PostgresServer::~PostgresServer() {
    if (m_watchdog_pipe >= 0) {
        ::close(m_watchdog_pipe);
    }
    if (m_watchdog > 0) {
        int status = 0;
        ::waitpid(m_watchdog, &status, 0);
    }
}

std::string PostgresServer::url(const std::string& database) const {
    return fmt::format("postgresql://atelier@/{}?host={}&port={}", database, m_directory, kPort);
}

Result<std::string> PostgresServer::create_database() {
    const std::string name = fmt::format("test_{}", ++m_next_database);
    auto admin = ATELIER_TRY(open_postgres_database(url("postgres")));
    ATELIER_TRY(admin->execute_script(fmt::format("CREATE DATABASE {}", name)));
    return url(name);
}

Result<PostgresServer*> PostgresServer::shared() {
    // Destroyed at exit, which stops the server; the watchdog covers abnormal ends.
    static Result<std::unique_ptr<PostgresServer>> server = start();
    if (!server) {
        return fail(server.error());
    }
    return server->get();
}

} // namespace atelier::store::testing
