// SPDX-License-Identifier: Apache-2.0
// Project leases of a cluster: compare-and-set statements on `session_leases` (migration 2).

#include "store/session_leases.h"

#include <array>
#include <set>

#include <fmt/format.h>

#include "store/database.h"

namespace atelier::store {
namespace {

// Every expiry is read and written by the database server's clock: hubs' clocks may disagree.
#define ATELIER_NOW_MS "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"

constexpr std::string_view kColumns =
    "project_id, hub_url, session_id, expires_at, epoch, CASE WHEN expires_at < " ATELIER_NOW_MS " THEN 1 ELSE 0 END";

SessionLease lease_of(const SqlRow& row) {
    return SessionLease{row.text(0), row.text(1), row.text(2), row.integer(3), row.integer(4), row.integer(5) != 0};
}

} // namespace

SessionLeases::SessionLeases(std::unique_ptr<Database> database, std::string hub_url, std::chrono::milliseconds ttl)
    : m_database(std::move(database)), m_hub_url(std::move(hub_url)), m_ttl(ttl) {}

SessionLeases::~SessionLeases() = default;

Result<std::unique_ptr<SessionLeases>> SessionLeases::open(const std::string& database_url, std::string hub_url,
                                                           std::chrono::milliseconds ttl) {
    if (hub_url.empty()) {
        return fail(ErrorCode::InvalidConfig, "a cluster hub needs its own URL (--hub-url)");
    }
    auto database = ATELIER_TRY(open_postgres_database(database_url));
    return std::unique_ptr<SessionLeases>(new SessionLeases(std::move(database), std::move(hub_url), ttl));
}

std::string SessionLeases::hub_url() const {
    const std::lock_guard lock(m_mutex);
    return m_hub_url;
}

void SessionLeases::set_hub_url(std::string hub_url) {
    const std::lock_guard lock(m_mutex);
    m_hub_url = std::move(hub_url);
}

Result<std::optional<SessionLeases::Acquired>> SessionLeases::acquire(const std::string& project_id) {
    const std::lock_guard lock(m_mutex);
    return in_transaction(*m_database, [&]() -> Result<std::optional<Acquired>> {
        // The holder before this statement (locked, so it cannot change hands under us): a row
        // still here was never released, so its session did not end cleanly.
        const std::array<SqlValue, 1> key{project_id};
        const auto prior_rows = ATELIER_TRY(m_database->query(
            fmt::format("SELECT {} FROM session_leases WHERE project_id = ? FOR UPDATE", kColumns), key));
        std::optional<SessionLease> prior;
        if (!prior_rows.empty()) {
            prior = lease_of(prior_rows.front());
            if (prior->hub_url != m_hub_url && !prior->expired) {
                return std::optional<Acquired>{};
            }
        }
        // Insert, or take over an expired (or our own) lease; the epoch grows when the holder changes.
        const std::array<SqlValue, 3> params{project_id, m_hub_url, static_cast<std::int64_t>(m_ttl.count())};
        const auto rows = ATELIER_TRY(m_database->query(
            fmt::format("INSERT INTO session_leases (project_id, hub_url, session_id, expires_at, epoch) "
                        "VALUES (?, ?, '', " ATELIER_NOW_MS " + ?, 1) "
                        "ON CONFLICT (project_id) DO UPDATE SET "
                        "hub_url = EXCLUDED.hub_url, expires_at = EXCLUDED.expires_at, "
                        "epoch = session_leases.epoch + "
                        "CASE WHEN session_leases.hub_url = EXCLUDED.hub_url THEN 0 ELSE 1 END "
                        "WHERE session_leases.hub_url = EXCLUDED.hub_url OR session_leases.expires_at < " ATELIER_NOW_MS
                        " RETURNING {}",
                        kColumns),
            params));
        if (rows.empty()) {
            return std::optional<Acquired>{}; // another hub inserted it first, and holds it
        }
        Acquired acquired{lease_of(rows.front()), {}};
        if (prior && !prior->session_id.empty() && prior->hub_url != m_hub_url) {
            acquired.previous_hub = prior->hub_url;
        }
        return std::optional<Acquired>{std::move(acquired)};
    });
}

Result<void> SessionLeases::attach(const std::string& project_id, std::int64_t epoch, const std::string& session_id) {
    const std::lock_guard lock(m_mutex);
    const std::array<SqlValue, 4> params{session_id, project_id, m_hub_url, epoch};
    const auto rows = ATELIER_TRY(m_database->query("UPDATE session_leases SET session_id = ? WHERE project_id = ? AND "
                                                    "hub_url = ? AND epoch = ? RETURNING project_id",
                                                    params));
    if (rows.empty()) {
        return fail(ErrorCode::NotFound, fmt::format("the lease of project {} is no longer this hub's", project_id));
    }
    return {};
}

Result<std::vector<std::string>> SessionLeases::renew(const std::vector<std::string>& project_ids) {
    if (project_ids.empty()) {
        return std::vector<std::string>{};
    }
    const std::lock_guard lock(m_mutex);
    std::vector<SqlValue> params{static_cast<std::int64_t>(m_ttl.count()), m_hub_url};
    std::string placeholders;
    for (const auto& id : project_ids) {
        placeholders += placeholders.empty() ? "?" : ", ?";
        params.emplace_back(id);
    }
    const auto rows =
        ATELIER_TRY(m_database->query(fmt::format("UPDATE session_leases SET expires_at = " ATELIER_NOW_MS " + ? "
                                                  "WHERE hub_url = ? AND project_id IN ({}) RETURNING project_id",
                                                  placeholders),
                                      params));
    std::set<std::string> renewed;
    for (const auto& row : rows) {
        renewed.insert(row.text(0));
    }
    std::vector<std::string> lost;
    for (const auto& id : project_ids) {
        if (!renewed.contains(id)) {
            lost.push_back(id);
        }
    }
    return lost;
}

Result<void> SessionLeases::release(const std::string& project_id, const std::string& session_id) {
    const std::lock_guard lock(m_mutex);
    if (session_id.empty()) {
        const std::array<SqlValue, 2> params{project_id, m_hub_url};
        ATELIER_TRY(m_database->query("DELETE FROM session_leases WHERE project_id = ? AND hub_url = ?", params));
        return {};
    }
    const std::array<SqlValue, 3> params{project_id, m_hub_url, session_id};
    ATELIER_TRY(m_database->query("DELETE FROM session_leases WHERE project_id = ? AND hub_url = ? AND session_id = ?",
                                  params));
    return {};
}

Result<std::optional<SessionLease>> SessionLeases::find_where(const char* column, const std::string& value) {
    const std::lock_guard lock(m_mutex);
    const std::array<SqlValue, 1> params{value};
    const auto rows = ATELIER_TRY(
        m_database->query(fmt::format("SELECT {} FROM session_leases WHERE {} = ?", kColumns, column), params));
    if (rows.empty()) {
        return std::optional<SessionLease>{};
    }
    return std::optional<SessionLease>{lease_of(rows.front())};
}

Result<std::optional<SessionLease>> SessionLeases::find(const std::string& project_id) {
    return find_where("project_id", project_id);
}

Result<std::optional<SessionLease>> SessionLeases::find_session(const std::string& session_id) {
    if (session_id.empty()) {
        return std::optional<SessionLease>{};
    }
    return find_where("session_id", session_id);
}

Result<void> SessionLeases::announce() {
    const std::lock_guard lock(m_mutex);
    if (m_hub_url.ends_with(":0") || m_hub_url.ends_with(":0/")) {
        return {};
    }
    const std::array<SqlValue, 2> params{m_hub_url, static_cast<std::int64_t>(m_ttl.count())};
    ATELIER_TRY(m_database->query("INSERT INTO cluster_hubs (hub_url, expires_at) VALUES (?, " ATELIER_NOW_MS " + ?) "
                                  "ON CONFLICT (hub_url) DO UPDATE SET expires_at = excluded.expires_at",
                                  params));
    return {};
}

Result<std::vector<std::string>> SessionLeases::other_live_hubs() {
    const std::lock_guard lock(m_mutex);
    const std::array<SqlValue, 1> params{m_hub_url};
    const auto rows = ATELIER_TRY(m_database->query(
        "SELECT hub_url FROM cluster_hubs WHERE hub_url <> ? AND expires_at > " ATELIER_NOW_MS " ORDER BY hub_url",
        params));
    std::vector<std::string> hubs;
    hubs.reserve(rows.size());
    for (const auto& row : rows) {
        hubs.push_back(row.text(0));
    }
    return hubs;
}

} // namespace atelier::store
