// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/timers.h"
#include "engines/engine_link.h"
#include "engines/running_engine.h"
#include "sessions/session_client.h"

namespace atelier::sessions {

/// DESIGN §5 states, as sent in `session:status` and stored.
enum class SessionState { Starting, Ready, Busy, Detached, Reconnecting, Lost, Ending, Ended };

[[nodiscard]] const char* state_name(SessionState state);

/// One user's live project: its engine (process + link), its working tree and the browser tabs
/// watching it. Guarded by `mutex`; never call an engine link or a tab while holding it... except
/// `send_text`, which never blocks.
struct Session {
    std::string id;
    std::string user_id;
    std::string project_id;
    std::string kind;
    std::filesystem::path workdir;
    std::filesystem::path log_file;

    std::mutex mutex;
    SessionState state = SessionState::Starting;
    std::shared_ptr<engines::EngineLink> link;
    std::shared_ptr<engines::EngineObserver> observer;
    std::unique_ptr<engines::RunningEngine> process;
    std::map<std::uint64_t, std::weak_ptr<SessionClient>> tabs;
    /// Who each attached connection is (same keys as `tabs`), for presence and attribution.
    std::map<std::uint64_t, ClientInfo> clients;
    /// The version the working tree holds: checked out from, or last committed. Commits are made
    /// against it, so a change made on an older version is a conflict, never a silent overwrite.
    std::string base;
    /// Starts that waited for this session to finish ending (the project's next session must
    /// check out the version this one commits last); run once it has ended.
    std::vector<std::function<void()>> after_end;
    /// Conflicts kept aside so far (names the kept refs).
    int conflicts = 0;
    /// What changes the project runs one at a time, in arrival order, whichever client asked: a
    /// command with its save and commit, an agent turn's commit, reopening after a restore. Each
    /// gets `next`, which it calls exactly once when it is over (SessionManager::enqueue).
    std::deque<std::function<void(std::function<void()> next)>> operations;
    bool operation_running = false;
    int attempt = 0; ///< relaunches since the engine last answered a call
    Timers::TimerId grace_timer = 0;
    std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
    std::uint64_t generation = 0;   ///< bumps per launch, so a stale exit/disconnect is ignored
    bool ready_sent = false;        ///< session:ready went out for the current engine
    bool opening = false;           ///< a warm engine is opening the project: session:ready waits
    std::uint64_t saved_calls = 0;  ///< the link's mutating_calls() at the last successful save
    nlohmann::json last_scene;      ///< the latest scene/changed, for tabs that attach later
    std::string last_frame;         ///< the latest viewport frame, likewise
    std::uint16_t preview_port = 0; ///< the engine's preview server on 127.0.0.1 (`preview/ready`); 0: none
    /// Engine calls in flight by call id: who asked. `tags` ({request_id, tool} for a tab's
    /// command, {turn_id, tool_call_id, tool} for the agent) go into their `render:progress`.
    struct CallOwner {
        std::uint64_t tab_id = 0; ///< the tab whose command it is; 0 for the agent's calls
        nlohmann::json tags;
        bool cancelled = false; ///< cancelled while waiting for its turn: it never reaches the engine
    };
    std::map<std::string, CallOwner> calls;
};

/// Where browsers reach a session's preview: the hub proxies it (Router::proxy, DESIGN §4).
[[nodiscard]] inline std::string preview_path(const std::string& session_id) {
    return "/preview/" + session_id + "/";
}

} // namespace atelier::sessions
