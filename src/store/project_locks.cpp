// SPDX-License-Identifier: Apache-2.0
#include "store/project_locks.h"

namespace atelier::store {

std::unique_lock<std::mutex> ProjectLocks::lock(std::string_view project_id) {
    std::mutex* project = nullptr;
    {
        const std::lock_guard guard(m_mutex);
        auto it = m_locks.find(project_id);
        if (it == m_locks.end()) {
            it = m_locks.emplace(std::string(project_id), std::make_unique<std::mutex>()).first;
        }
        project = it->second.get();
    }
    return std::unique_lock<std::mutex>(*project);
}

} // namespace atelier::store
