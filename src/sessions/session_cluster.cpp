// SPDX-License-Identifier: Apache-2.0
// What a cluster asks of the session manager (docs/scaling.md); the lease logic itself is in
// cluster_session_directory.cpp.

#include "sessions/session.h"
#include "sessions/session_manager.h"

namespace atelier::sessions {

void SessionManager::lease_lost(const std::string& project_id) {
    if (auto session = m_directory->live(project_id)) {
        // Another hub owns the project now and runs its engine from the last committed version;
        // saving here would write over whatever it commits.
        finish(session, "another hub took the project over (this hub's lease lapsed)", false);
    }
}

} // namespace atelier::sessions
