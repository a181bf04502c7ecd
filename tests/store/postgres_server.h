// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>

#include "core/result.h"

namespace atelier::store::testing {

/// A real, private PostgreSQL server for tests: `initdb` into a fresh temp dir, `pg_ctl start`
/// listening only on a unix socket inside that dir (no TCP port, so parallel test processes
/// never collide), and stopped and deleted when the object goes away.
///
/// PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server runs as
/// the `postgres` user the Debian package creates (`runuser -u postgres --`) and the temp dir is
/// chowned to it. A watchdog process stops the server and deletes the dir when this process
/// dies without running destructors (a crash, an abort, SIGKILL).
///
/// Binaries: $ATELIER_PG_BINDIR, else the newest /usr/lib/postgresql/<N>/bin.
class PostgresServer {
public:
    [[nodiscard]] static Result<std::unique_ptr<PostgresServer>> start();
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    /// A libpq URL for `database` on this server.
    [[nodiscard]] std::string url(const std::string& database) const;

    /// Creates a new empty database and returns its URL.
    [[nodiscard]] Result<std::string> create_database();

    /// `pg_ctl restart -m <mode>`, waiting until it accepts connections again: "fast" ends every
    /// session with an error, "immediate" is a crash followed by recovery (fault tests).
    [[nodiscard]] Result<void> restart(const std::string& mode);
    /// `pg_ctl stop -m <mode>`; start_again() brings it back with the same options.
    [[nodiscard]] Result<void> stop(const std::string& mode);
    [[nodiscard]] Result<void> start_again();

    /// The server shared by every test in this process, started on first use.
    [[nodiscard]] static Result<PostgresServer*> shared();

private:
    PostgresServer() = default;

    std::string m_directory;
    int m_watchdog_pipe = -1;
    pid_t m_watchdog = -1;
    int m_next_database = 0;
};

} // namespace atelier::store::testing
