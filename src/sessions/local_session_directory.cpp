// SPDX-License-Identifier: Apache-2.0
// The session directory of a single hub: project id → live session, in memory.

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "sessions/session.h"
#include "sessions/session_directory.h"

namespace atelier::sessions {
namespace {

class LocalSessionDirectory final : public SessionDirectory {
public:
    Result<Claim> claim(const std::string& project_id, const Create& create) override {
        std::unique_lock lock(m_mutex);
        // Another claim of this project is creating its session: wait and join what it makes.
        m_changed.wait(lock, [&] { return m_creating.count(project_id) == 0; });
        if (const auto it = m_live.find(project_id); it != m_live.end()) {
            return Claim{it->second, true};
        }
        m_creating.insert(project_id);
        lock.unlock();
        Result<std::shared_ptr<Session>> created = fail(ErrorCode::Internal, "the session was not created");
        try {
            created = create();
        } catch (const std::exception& error) {
            created = fail(ErrorCode::Internal, std::string("creating the session failed: ") + error.what());
        }
        lock.lock();
        m_creating.erase(project_id);
        if (created && *created) {
            m_live[project_id] = *created;
        }
        lock.unlock();
        m_changed.notify_all();
        if (!created) {
            return fail(created.error());
        }
        return Claim{*created, false};
    }

    std::shared_ptr<Session> live(const std::string& project_id) const override {
        const std::lock_guard lock(m_mutex);
        const auto it = m_live.find(project_id);
        return it == m_live.end() ? nullptr : it->second;
    }

    void release(const std::string& project_id, const std::string& session_id) override {
        const std::lock_guard lock(m_mutex);
        if (const auto it = m_live.find(project_id); it != m_live.end() && it->second->id == session_id) {
            m_live.erase(it);
        }
    }

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<std::string, std::shared_ptr<Session>> m_live;
    std::set<std::string> m_creating;
};

} // namespace

std::unique_ptr<SessionDirectory> make_local_session_directory() {
    return std::make_unique<LocalSessionDirectory>();
}

} // namespace atelier::sessions
