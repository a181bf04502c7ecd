// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace atelier::store {

/// One write lock per project repository. Everything that moves a project's history (a session's
/// commit, a REST restore or upload, creating or deleting the repository) holds its project's
/// lock, so two writers of one project take turns while writers of different projects never wait
/// for each other (one hub-wide mutex made every commit wait for every other project's).
///
/// Lifetime: a project's mutex lives as long as the ProjectLocks (a few bytes per project ever
/// written in this process). Thread-safe.
class ProjectLocks {
public:
    /// Blocks until this thread holds `project_id`'s lock; released when the guard goes.
    [[nodiscard]] std::unique_lock<std::mutex> lock(std::string_view project_id);

private:
    std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> m_locks;
};

} // namespace atelier::store
