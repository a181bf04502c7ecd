// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sessions/session_directory.h"

namespace atelier::store {
class SessionLeases;
}

namespace atelier::sessions {

/// What a cluster directory tells the hub about leases it did not expect to change.
struct ClusterDirectoryHooks {
    /// This hub took `project_id` over from `previous_hub`, whose session never released it (the
    /// hub died): called before the new session is made, e.g. to clear the dead hub's git locks.
    std::function<void(const std::string& project_id, const std::string& previous_hub)> on_takeover;
    /// The lease of a project live here was lost (not renewed in time, and another hub took it):
    /// the local session must end without saving. Called on the renewal thread.
    std::function<void(const std::string& project_id)> on_lost;
};

/// The session directory of a hub in a cluster (DESIGN §11, docs/scaling.md): this hub's live
/// sessions in memory (a LocalSessionDirectory), each backed by a lease in PostgreSQL
/// (store::SessionLeases). A claim of a project that another live hub holds fails with Conflict
/// naming that hub (requests are forwarded there before they get this far; this is the guard);
/// one whose holder's lease expired takes it over. A long-lived thread renews this hub's leases
/// every third of their time to live and reports lost ones.
///
/// Thread-safety: every method may be called from any thread.
[[nodiscard]] std::shared_ptr<SessionDirectory>
make_cluster_session_directory(std::shared_ptr<store::SessionLeases> leases, ClusterDirectoryHooks hooks);

} // namespace atelier::sessions
