// SPDX-License-Identifier: Apache-2.0
#include <libpq-fe.h>
#include <poll.h>

#include <fmt/format.h>

#include "store/database.h"

namespace atelier::store {
namespace {

/// SqlStore writes `?` placeholders (SQLite's); PostgreSQL wants `$1, $2, ...`. Our statements
/// never contain a literal `?`, so a plain scan is enough.
std::string numbered_placeholders(std::string_view sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int next = 1;
    for (const char c : sql) {
        if (c == '?') {
            out += '$';
            out += std::to_string(next++);
        } else {
            out += c;
        }
    }
    return out;
}

ErrorCode code_for_sqlstate(std::string_view state) {
    if (state == "23505") {
        return ErrorCode::Conflict; // unique_violation
    }
    if (state == "23503") {
        return ErrorCode::NotFound; // foreign_key_violation
    }
    if (state.starts_with("23") || state.starts_with("22")) {
        return ErrorCode::InvalidArgument; // integrity / data exception
    }
    if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57") || state == "40001" ||
        state == "40P01") {
        return ErrorCode::Unavailable; // connection, resources, shutdown, serialization, deadlock
    }
    return ErrorCode::Internal;
}

// Quiet NOTICEs ("relation already exists, skipping"), and insist on synchronous commit even when
// the server's default was relaxed: an acknowledged write must be on disk. Applied to every new
// server session, reconnections included.
constexpr const char* kSessionSettings = "SET client_min_messages = warning; SET synchronous_commit = on";

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using ResultHandle = std::unique_ptr<PGresult, ResultDeleter>;

class PostgresDatabase final : public Database {
public:
    explicit PostgresDatabase(PGconn* connection) : m_connection(connection) {}
    ~PostgresDatabase() override { PQfinish(m_connection); }
    PostgresDatabase(const PostgresDatabase&) = delete;
    PostgresDatabase& operator=(const PostgresDatabase&) = delete;

    Dialect dialect() const override { return Dialect::Postgres; }

    Result<std::vector<SqlRow>> query(std::string_view sql, std::span<const SqlValue> params) override {
        ATELIER_TRY(ensure_connected());
        const std::string text = numbered_placeholders(sql);
        std::vector<std::string> storage;
        storage.reserve(params.size());
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& param : params) {
            if (const auto* number = std::get_if<std::int64_t>(&param)) {
                storage.push_back(std::to_string(*number));
                values.push_back(storage.back().c_str());
            } else if (const auto* value = std::get_if<std::string>(&param)) {
                storage.push_back(*value);
                values.push_back(storage.back().c_str());
            } else {
                values.push_back(nullptr);
            }
        }
        ResultHandle result(PQexecParams(m_connection, text.c_str(), static_cast<int>(values.size()), nullptr,
                                         values.data(), nullptr, nullptr, 0));
        ATELIER_TRY(check(result.get()));
        std::vector<SqlRow> rows;
        const int row_count = PQntuples(result.get());
        const int column_count = PQnfields(result.get());
        rows.reserve(static_cast<std::size_t>(row_count));
        for (int r = 0; r < row_count; ++r) {
            SqlRow row;
            row.columns.reserve(static_cast<std::size_t>(column_count));
            for (int c = 0; c < column_count; ++c) {
                if (PQgetisnull(result.get(), r, c) != 0) {
                    row.columns.emplace_back(std::nullopt);
                } else {
                    row.columns.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                                         static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
                }
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

    Result<void> execute_script(std::string_view sql) override {
        ATELIER_TRY(ensure_connected());
        const std::string text(sql);
        ResultHandle result(PQexec(m_connection, text.c_str()));
        return check(result.get());
    }

    Result<void> begin() override {
        ATELIER_TRY(execute_script("BEGIN"));
        m_in_transaction = true;
        return {};
    }
    Result<void> commit() override {
        auto committed = execute_script("COMMIT");
        m_in_transaction = !committed && PQtransactionStatus(m_connection) == PQTRANS_INTRANS;
        return committed;
    }
    void rollback() override {
        m_in_transaction = false;
        if (PQstatus(m_connection) == CONNECTION_OK && PQtransactionStatus(m_connection) != PQTRANS_IDLE) {
            ResultHandle result(PQexec(m_connection, "ROLLBACK"));
        }
    }

private:
    // A dropped connection (server restart, idle timeout) is re-established before the next
    // statement. A statement that was in flight when it dropped is not retried: whether it
    // committed is unknown, so the caller gets Unavailable and decides.
    Result<void> ensure_connected() {
        if (connection_alive()) {
            return {};
        }
        if (m_in_transaction) {
            // Never reconnect inside a transaction: its earlier statements died with the old
            // session, and running the rest in autocommit would write half of it. rollback() ends it.
            return fail(ErrorCode::Unavailable, "postgres: the connection was lost during a transaction");
        }
        PQreset(m_connection);
        if (PQstatus(m_connection) != CONNECTION_OK) {
            return fail(ErrorCode::Unavailable, "postgres: connection lost: " + trimmed(PQerrorMessage(m_connection)));
        }
        // A new server session: the per-session settings are back to the server's defaults.
        ResultHandle applied(PQexec(m_connection, kSessionSettings));
        return check(applied.get());
    }

    /// Whether the connection can take a statement. Between statements the server may have ended
    /// the session (a restart sends FATAL and closes; a crash just closes). The hub never LISTENs,
    /// so an idle connection with anything to read — that FATAL, or the end of the stream — is
    /// going away: reconnect before sending, so that the first request after the server is back
    /// does not fail for nothing.
    bool connection_alive() {
        if (PQstatus(m_connection) != CONNECTION_OK) {
            return false;
        }
        pollfd socket{PQsocket(m_connection), POLLIN, 0};
        return socket.fd >= 0 && ::poll(&socket, 1, 0) == 0;
    }

    static std::string trimmed(std::string text) {
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
            text.pop_back();
        }
        return text;
    }

    Result<void> check(PGresult* result) {
        const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            return {};
        }
        const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
        const char* primary = result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
        std::string message = primary != nullptr ? primary : PQerrorMessage(m_connection);
        while (!message.empty() && message.back() == '\n') {
            message.pop_back();
        }
        // Every error the server reports carries a SQLSTATE; one without is libpq's own: the
        // connection broke (its status is not always CONNECTION_BAD yet when the socket closed
        // mid-statement), so Unavailable, never a 500.
        const ErrorCode code = state != nullptr ? code_for_sqlstate(state) : ErrorCode::Unavailable;
        return fail(code, "postgres: " + message);
    }

    PGconn* m_connection;
    bool m_in_transaction = false; // between begin() and commit()/rollback()
};

} // namespace

Result<std::unique_ptr<Database>> open_postgres_database(const std::string& url) {
    PGconn* connection = PQconnectdb(url.c_str());
    if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
        std::string detail = connection != nullptr ? PQerrorMessage(connection) : "out of memory";
        while (!detail.empty() && detail.back() == '\n') {
            detail.pop_back();
        }
        PQfinish(connection);
        return fail(ErrorCode::Unavailable, "cannot connect to postgres: " + detail);
    }
    auto database = std::make_unique<PostgresDatabase>(connection);
    ATELIER_TRY(database->execute_script(kSessionSettings));
    return std::unique_ptr<Database>(std::move(database));
}

} // namespace atelier::store
