// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace atelier::store {

class Database;

/// One row of `session_leases`: `hub_url` owns `project_id`'s live session until `expires_at`
/// (milliseconds of the database server's clock, so hubs with skewed clocks agree). `epoch` grows
/// by one each time the lease changes hands.
struct SessionLease {
    std::string project_id;
    std::string hub_url;
    std::string session_id;
    std::int64_t expires_at = 0;
    std::int64_t epoch = 0;
    /// Whether it had expired when read (by the server's clock).
    bool expired = false;
};

/// Project leases of a cluster in PostgreSQL (DESIGN §11, docs/scaling.md): each call is one
/// compare-and-set statement, so two hubs can never both hold a project. A lease table rather than
/// advisory locks: ownership survives a reconnect of the pooled connection and other hubs can read
/// who the owner is (the address to forward to); expiry, not a dropped connection, ends it.
///
/// Holds its own connection (not the store's), so a slow store call never delays a renewal.
/// Thread-safety: every method may be called from any thread (one mutex around the connection).
class SessionLeases {
public:
    /// Connects to `database_url` (a migrated database: schema version ≥ 2).
    [[nodiscard]] static Result<std::unique_ptr<SessionLeases>>
    open(const std::string& database_url, std::string hub_url, std::chrono::milliseconds ttl);
    ~SessionLeases();
    SessionLeases(const SessionLeases&) = delete;
    SessionLeases& operator=(const SessionLeases&) = delete;

    [[nodiscard]] std::string hub_url() const;
    /// Replaces the hub's URL; only before the first acquire (a hub given port 0 learns its port
    /// once it is listening).
    void set_hub_url(std::string hub_url);
    [[nodiscard]] std::chrono::milliseconds ttl() const { return m_ttl; }

    /// Takes or keeps `project_id` for this hub: succeeds when nobody holds it, its holder's lease
    /// expired, or this hub holds it already. Returns the lease as held now (its epoch grew when it
    /// changed hands, `previous_hub` says from whom); nullopt when another hub holds a live lease.
    struct Acquired {
        SessionLease lease;
        /// The other hub whose session never released the lease (it died); empty when the project
        /// was free or already this hub's.
        std::string previous_hub;
    };
    [[nodiscard]] Result<std::optional<Acquired>> acquire(const std::string& project_id);
    /// Records which session holds the lease (after the session was made). NotFound when the
    /// lease is no longer this hub's at `epoch`.
    [[nodiscard]] Result<void> attach(const std::string& project_id, std::int64_t epoch, const std::string& session_id);
    /// Extends every lease of this hub on `project_ids`; returns the ids whose lease is no longer
    /// this hub's (it lapsed and another hub took it, or it was deleted).
    [[nodiscard]] Result<std::vector<std::string>> renew(const std::vector<std::string>& project_ids);
    /// Gives the lease up when this hub still holds it for `session_id` (empty: any session).
    [[nodiscard]] Result<void> release(const std::string& project_id, const std::string& session_id);
    /// The project's lease, expired or not; nullopt when there is none.
    [[nodiscard]] Result<std::optional<SessionLease>> find(const std::string& project_id);
    /// The lease naming `session_id`, or nullopt.
    [[nodiscard]] Result<std::optional<SessionLease>> find_session(const std::string& session_id);
    /// Says this hub is up until one lease time from now (`cluster_hubs`); renewed with the leases.
    /// Nothing while the hub's URL names port 0 (not bound yet).
    [[nodiscard]] Result<void> announce();
    /// The other hubs that are up (announced within a lease time), sorted: where a user's MCP
    /// seats and listeners can be (docs/scaling.md "MCP").
    [[nodiscard]] Result<std::vector<std::string>> other_live_hubs();

private:
    SessionLeases(std::unique_ptr<Database> database, std::string hub_url, std::chrono::milliseconds ttl);
    [[nodiscard]] Result<std::optional<SessionLease>> find_where(const char* column, const std::string& value);

    mutable std::mutex m_mutex;
    std::unique_ptr<Database> m_database;
    std::string m_hub_url;
    std::chrono::milliseconds m_ttl;
};

} // namespace atelier::store
