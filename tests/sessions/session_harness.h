// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/manual_clock.h"
#include "core/timer_queue.h"
#include "core/worker.h"
#include "core/worker_pool.h"
#include "engines/engine_directory.h"
#include "engines/launch_tokens.h"
#include "fake_client.h"
#include "fake_engine.h"
#include "sessions/session_manager.h"
#include "store/project_locks.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::sessions::testing {

/// The session layer on its own: a real SessionManager over a SQLite store and git repositories
/// in a temporary directory, the real EngineDirectory, FakeLauncher's in-process engines, and a
/// ManualClock for grace periods and backoff (time moves only when a test advances it).
class SessionHarness {
public:
    static constexpr std::chrono::milliseconds kGrace{1'000};
    static constexpr std::chrono::milliseconds kBackoffCap{400};
    static constexpr int kMaxAttempts = 3;

    SessionHarness();
    ~SessionHarness();
    SessionHarness(const SessionHarness&) = delete;
    SessionHarness& operator=(const SessionHarness&) = delete;

    /// A new client with a fresh id (a tab unless `info` says otherwise).
    [[nodiscard]] std::shared_ptr<FakeClient> client(ClientInfo info = {});
    /// A project of the fake kind with its first version (an empty tree), as REST creates one.
    [[nodiscard]] std::string create_project();
    /// `session:start {project_id}` from `client`.
    void start(const std::shared_ptr<FakeClient>& client, const std::string& project_id);
    /// start(), then the `session:ready` it gets (nullopt when none came).
    [[nodiscard]] std::optional<SessionEvent> start_ready(const std::shared_ptr<FakeClient>& client,
                                                          const std::string& project_id);
    /// `command:send` create_object {name} from `client`; its `command:result`.
    [[nodiscard]] std::optional<SessionEvent> create_object(const std::shared_ptr<FakeClient>& client,
                                                            const std::string& name);
    /// Sends the command without waiting; the request id is "create-<name>".
    void send_create_object(const std::shared_ptr<FakeClient>& client, const std::string& name);
    /// The objects in `scene.txt` at `revision` of the project ("HEAD": the current version).
    [[nodiscard]] std::set<std::string> objects_at(const std::string& project_id, const std::string& revision = "HEAD");
    [[nodiscard]] std::string head(const std::string& project_id);
    /// A writer that is not the session moves the project on (another hub, an upload the session
    /// was not told about): `path` gets `content` in a new version.
    void commit_elsewhere(const std::string& project_id, const std::string& path, const std::string& content);
    /// A REST restore of `revision`: a new version, and the live session is told.
    void restore(const std::string& project_id, const std::string& revision);

    std::filesystem::path dir;
    std::unique_ptr<store::Store> store;
    std::optional<store::ProjectRepos> repos;
    store::ProjectLocks locks;
    engines::LaunchTokens tokens;
    TimerQueue engine_timers; ///< engine links' call and hello timeouts (never due in these tests)
    std::optional<engines::EngineDirectory> directory;
    ManualClock clock;
    std::optional<WorkerPool> workers;
    std::optional<Worker> pool_worker;
    std::optional<FakeLauncher> launcher;
    std::shared_ptr<SessionManager> manager;
    std::string user_id;

private:
    std::uint64_t m_next_client = 1;
};

} // namespace atelier::sessions::testing
