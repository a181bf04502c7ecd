// SPDX-License-Identifier: Apache-2.0
// A hub's session directory in a cluster: the local directory plus a PostgreSQL lease per live
// project, renewed by one long-lived thread.

#include "sessions/cluster_session_directory.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "sessions/session.h"
#include "store/session_leases.h"

namespace atelier::sessions {
namespace {

class ClusterSessionDirectory final : public SessionDirectory {
public:
    ClusterSessionDirectory(std::shared_ptr<store::SessionLeases> leases, ClusterDirectoryHooks hooks)
        : m_leases(std::move(leases)), m_hooks(std::move(hooks)), m_local(make_local_session_directory()) {
        m_renewer = std::thread([this] { renew_loop(); });
    }

    ~ClusterSessionDirectory() override {
        {
            const std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        m_renewer.join();
    }

    Result<Claim> claim(const std::string& project_id, const Create& create) override {
        if (auto live = m_local->live(project_id)) {
            return Claim{live, true};
        }
        hold(project_id); // renewed from now on, even while the session is being made
        auto acquired = m_leases->acquire(project_id);
        if (!acquired || !*acquired) {
            unhold(project_id);
            if (!acquired) {
                return fail(acquired.error().code,
                            fmt::format("cannot take the project's lease: {}", acquired.error().message));
            }
            // Requests for it are forwarded to the owner before they get here; this one was not
            // (e.g. a WebSocket opened without ?project=): say where the project lives.
            auto owner = m_leases->find(project_id);
            const std::string where = owner && *owner ? (*owner)->hub_url : std::string();
            Error error{ErrorCode::Conflict,
                        fmt::format("project {} is live on {}; connect with /ws/browser?project={} or to that hub",
                                    project_id, where.empty() ? "another hub" : where, project_id)};
            error.details = nlohmann::json{{"hub_url", where}}.dump();
            return fail(std::move(error));
        }
        const auto& lease = (*acquired)->lease;
        std::string previous = (*acquired)->previous_hub;
        if (previous.empty() && !lease.session_id.empty() && only_claim(project_id)) {
            // Our own URL holds it for a session this process does not have: a previous run of
            // this hub (same --hub-url) died with it.
            previous = lease.hub_url;
        }
        if (!previous.empty()) {
            spdlog::warn("cluster: taking project {} over from {} (its session never ended, epoch {})", project_id,
                         previous, lease.epoch);
            if (m_hooks.on_takeover) {
                m_hooks.on_takeover(project_id, previous);
            }
        }
        auto claimed = m_local->claim(project_id, create);
        if (claimed && !claimed->joined) {
            if (auto attached = m_leases->attach(project_id, lease.epoch, claimed->session->id); !attached) {
                spdlog::warn("cluster: project {}: {}", project_id, attached.error().message);
            }
        }
        if (!claimed && !m_local->live(project_id)) {
            if (auto released = m_leases->release(project_id, {}); !released) {
                spdlog::warn("cluster: releasing project {}: {}", project_id, released.error().message);
            }
        }
        unhold(project_id);
        return claimed;
    }

    std::shared_ptr<Session> live(const std::string& project_id) const override { return m_local->live(project_id); }

    void release(const std::string& project_id, const std::string& session_id) override {
        m_local->release(project_id, session_id);
        if (m_local->live(project_id)) {
            return; // a newer session of this hub holds the lease
        }
        if (auto released = m_leases->release(project_id, session_id); !released) {
            // It lapses by itself within the lease time.
            spdlog::warn("cluster: releasing project {}: {}", project_id, released.error().message);
        }
    }

private:
    void hold(const std::string& project_id) {
        const std::lock_guard lock(m_mutex);
        ++m_claiming[project_id];
    }

    // No other claim of the project runs in this hub and no session of it is live here.
    bool only_claim(const std::string& project_id) {
        const std::lock_guard lock(m_mutex);
        const auto it = m_claiming.find(project_id);
        return it != m_claiming.end() && it->second == 1 && !m_local->live(project_id);
    }

    void unhold(const std::string& project_id) {
        const std::lock_guard lock(m_mutex);
        if (--m_claiming[project_id] == 0) {
            m_claiming.erase(project_id);
        }
        if (m_local->live(project_id)) {
            m_held.insert(project_id);
        }
    }

    // Every third of the lease time: extend this hub's leases; end the sessions whose lease is gone.
    void renew_loop() {
        const auto period = std::max(m_leases->ttl() / 3, std::chrono::milliseconds(100));
        auto last_renewed = std::chrono::steady_clock::now();
        std::unique_lock lock(m_mutex);
        while (!m_wake.wait_for(lock, period, [this] { return m_stopping; })) {
            std::vector<std::string> ids;
            for (auto it = m_held.begin(); it != m_held.end();) {
                if (m_local->live(*it) || m_claiming.contains(*it)) {
                    ids.push_back(*it);
                    ++it;
                } else {
                    it = m_held.erase(it);
                }
            }
            for (const auto& [id, count] : m_claiming) {
                if (!m_held.contains(id)) {
                    ids.push_back(id);
                }
            }
            lock.unlock();
            if (auto announced = m_leases->announce(); !announced) {
                spdlog::warn("cluster: announcing this hub: {}", announced.error().message);
            }
            std::vector<std::string> lost;
            if (auto renewed = m_leases->renew(ids)) {
                last_renewed = std::chrono::steady_clock::now();
                lost = std::move(*renewed);
            } else if (std::chrono::steady_clock::now() - last_renewed >= m_leases->ttl()) {
                // Unrenewed for a whole lease time: other hubs may own these projects by now.
                spdlog::error("cluster: leases not renewed for {} ms ({}); ending this hub's sessions",
                              m_leases->ttl().count(), renewed.error().message);
                lost = ids;
            } else {
                spdlog::warn("cluster: renewing leases: {}", renewed.error().message);
            }
            for (const auto& id : lost) {
                if (auto session = m_local->live(id)) {
                    spdlog::error("cluster: lost the lease of project {}; its session {} ends here", id, session->id);
                    if (m_hooks.on_lost) {
                        m_hooks.on_lost(id);
                    }
                    m_local->release(id, session->id);
                }
            }
            lock.lock();
            for (const auto& id : lost) {
                m_held.erase(id);
            }
        }
    }

    std::shared_ptr<store::SessionLeases> m_leases;
    ClusterDirectoryHooks m_hooks;
    std::unique_ptr<SessionDirectory> m_local;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::set<std::string> m_held;
    std::map<std::string, int> m_claiming;
    std::thread m_renewer;
};

} // namespace

std::shared_ptr<SessionDirectory> make_cluster_session_directory(std::shared_ptr<store::SessionLeases> leases,
                                                                 ClusterDirectoryHooks hooks) {
    return std::make_shared<ClusterSessionDirectory>(std::move(leases), std::move(hooks));
}

} // namespace atelier::sessions
