// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/timers.h"
#include "engines/engine_link.h"
#include "engines/running_engine.h"
#include "sessions/session_activity.h"
#include "sessions/session_client.h"

namespace atelier::sessions {

/// DESIGN §5 states, as sent in `session:status` and stored.
enum class SessionState { Starting, Ready, Busy, Detached, Reconnecting, Lost, Ending, Ended };

[[nodiscard]] const char* state_name(SessionState state);

/// Whether a session's new engine comes from the warm pool and must open the project first.
enum class EngineOrigin { Launched, Pooled };

/// One project's live session: its identity, its engine (process and link), its clients, the
/// version its working tree holds and the queue of its changes. Identity is fixed at creation and
/// public; everything else is private behind the session's own lock, changed only through the
/// methods below, each one step of the session's life that SessionManager takes. No method calls
/// an engine link, a client or a timer: the manager does that with what they return, outside the
/// lock. Thread-safe.
///
/// Lifetime rule: every engine the session gets bumps its *generation*; reports about an engine
/// (its exit, its disconnection) carry the generation they were made for and are ignored when it
/// is stale, so an engine stopped on purpose or replaced is never mistaken for a lost one.
class Session {
public:
    Session(std::string session_id, std::string owner_id, std::string project, std::string engine_kind,
            std::filesystem::path tree, std::filesystem::path log);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const std::string id;
    const std::string user_id;
    const std::string project_id;
    const std::string kind;
    const std::filesystem::path workdir;
    const std::filesystem::path log_file;
    const std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
    /// The recent commands, whoever ran them, for session:ready (thread-safe on its own lock;
    /// session_activity.h).
    ActivityLog activity;

    using Client = std::shared_ptr<SessionClient>;
    /// What changes the project, run one at a time in arrival order (SessionManager::enqueue);
    /// each calls `next` exactly once when it is over.
    using Operation = std::function<void(std::function<void()> next)>;

    // --- state -------------------------------------------------------------------------------
    [[nodiscard]] SessionState state() const;
    /// Sets the state; returns the relaunch attempt (for `session:status`).
    int set_state(SessionState state);
    /// Not ending or ended: it takes commands, commits and edits.
    [[nodiscard]] bool accepting() const;
    /// Ending or ended (a finish already began).
    [[nodiscard]] bool over() const;
    /// The agent's turn begins (`busy`) or ends: the state to announce, or nullopt when the session
    /// is in a state that says more (starting, reconnecting, lost, ending).
    [[nodiscard]] std::optional<SessionState> busy_transition(bool busy) const;

    // --- clients -----------------------------------------------------------------------------
    /// Attaches `client` as `info`; returns how many clients are attached.
    std::size_t add_client(const Client& client, const ClientInfo& info);
    /// What a client joining a live session finds.
    struct Joined {
        SessionState state = SessionState::Starting;
        std::shared_ptr<engines::EngineLink> link;
        std::size_t clients = 0;
        Timers::TimerId grace_timer = 0; ///< to cancel: a client is back
    };
    /// Attaches `client`; a detached session becomes ready (or starting, without an engine).
    Joined join(const Client& client, const ClientInfo& info);
    /// Detaches client `client_id`; returns how many clients remain.
    std::size_t remove_client(std::uint64_t client_id);
    [[nodiscard]] bool has_clients() const;
    /// The attached clients still alive, but `except`.
    [[nodiscard]] std::vector<Client> clients(const Client& except = nullptr) const;
    /// Who is attached, by client id.
    [[nodiscard]] std::vector<std::pair<std::uint64_t, ClientInfo>> client_infos() const;
    /// Client `client_id`'s description (empty when it is not attached).
    [[nodiscard]] ClientInfo client_info(std::uint64_t client_id) const;

    // --- grace period and ending -------------------------------------------------------------
    /// The last client left: true when the grace period should begin (no client, not over); a
    /// ready session becomes detached.
    bool begin_grace();
    void set_grace_timer(Timers::TimerId timer);
    /// A finish begins: false when one already has (ending or ended); else the state is ending and
    /// `grace_timer` gets the pending grace timer (0: none) for the caller to cancel.
    bool begin_ending(Timers::TimerId& grace_timer);
    /// A start that arrived while the session ends: true when queued to run once it has ended;
    /// false when the session is not ending (`ended` says whether it is already over).
    bool queue_after_end(std::function<void()> start, bool& ended);
    /// The starts queued by queue_after_end, now the caller's to run.
    std::vector<std::function<void()>> take_after_end();

    // --- engine ------------------------------------------------------------------------------
    [[nodiscard]] std::shared_ptr<engines::EngineLink> link() const;
    [[nodiscard]] std::uint64_t generation() const;
    /// A new engine process: returns its generation. A pooled one opens the project before
    /// `session:ready` (mark_ready waits for opened()).
    std::uint64_t install_process(std::unique_ptr<engines::RunningEngine> process, EngineOrigin origin);
    /// The pooled engine opened the project (or failed to).
    void opened();
    /// Makes `link` the engine's connection, observed by `make_observer(generation)`; returns the
    /// observer for the caller to add to the link.
    std::shared_ptr<engines::EngineObserver>
    bind(const std::shared_ptr<engines::EngineLink>& link,
         const std::function<std::shared_ptr<engines::EngineObserver>(std::uint64_t)>& make_observer);
    /// The engine is ready to announce (connected, tools known, not opening, not yet announced):
    /// its link, once per engine; null otherwise. The state becomes ready (detached without clients).
    std::shared_ptr<engines::EngineLink> mark_ready();
    /// What is left of an engine that was lost.
    struct Lost {
        int attempt = 0;
        std::unique_ptr<engines::RunningEngine> process;
        std::shared_ptr<engines::EngineLink> link;
        std::shared_ptr<engines::EngineObserver> observer; ///< to remove from `link`
    };
    /// The engine of `generation` was lost: nullopt when that report is stale or the session is
    /// ending, ended or lost; else the engine is forgotten (a new generation begins) and the
    /// attempt counted.
    std::optional<Lost> lose_engine(std::uint64_t generation);
    /// The engine answered a call: a later loss starts a fresh series of attempts.
    void engine_worked();
    /// The generation to relaunch for, when the session still waits for a relaunch.
    [[nodiscard]] std::optional<std::uint64_t> awaiting_relaunch() const;
    /// The engine, for stopping on purpose (a new generation begins, so its exit is no loss).
    struct Released {
        std::unique_ptr<engines::RunningEngine> process;
        std::shared_ptr<engines::EngineLink> link;
    };
    Released release_engine();
    /// `{engine_id, engine_pid}` for the session list.
    [[nodiscard]] std::pair<std::string, int> engine_ids() const;

    // --- what the engine reported ------------------------------------------------------------
    void set_scene(nlohmann::json scene);
    [[nodiscard]] nlohmann::json scene() const;
    void set_frame(std::string frame);
    [[nodiscard]] std::string frame() const;
    void set_preview_port(std::uint16_t port);
    [[nodiscard]] std::uint16_t preview_port() const;
    /// The host the engine's preview is reached on (its launcher's answer: loopback, a Pod's IP;
    /// empty while unknown).
    [[nodiscard]] std::string preview_host() const;

    // --- versions ----------------------------------------------------------------------------
    [[nodiscard]] std::string base() const;
    void set_base(std::string revision);
    /// The number of the next conflict kept aside (1 first).
    int next_conflict();
    /// Mutating calls since the last save: a final save is needed.
    [[nodiscard]] bool unsaved_changes() const;
    /// A save covered the engine's first `mutating_calls` mutating calls.
    void saved(std::uint64_t mutating_calls);

    // --- operations and calls ----------------------------------------------------------------
    /// Queues `operation`; true when none runs, so the caller must start the queue.
    bool push_operation(Operation operation);
    /// The next operation to run, or nullopt (the queue is idle again).
    std::optional<Operation> next_operation();
    /// Engine call `call_id` is in flight for `client_id` (0: the agent) with `tags` for its progress.
    void track_call(const std::string& call_id, nlohmann::json tags, std::uint64_t client_id);
    void untrack_call(const std::string& call_id);
    /// The tags of call `call_id` (null when untracked).
    [[nodiscard]] nlohmann::json call_tags(const std::string& call_id) const;
    /// The call was cancelled before its turn, or is no longer tracked.
    [[nodiscard]] bool call_cancelled(const std::string& call_id) const;
    /// Marks call `call_id` cancelled; false when it is not tracked.
    bool cancel_call(const std::string& call_id);
    /// Marks the call of client `client_id` whose request id is `request_id` cancelled; its call id
    /// (empty when none).
    std::string cancel_request(std::uint64_t client_id, const std::string& request_id);

private:
    struct CallOwner {
        std::uint64_t client_id = 0; ///< the client whose command it is; 0 for the agent's calls
        nlohmann::json tags;
        bool cancelled = false; ///< cancelled while waiting for its turn: it never reaches the engine
    };

    mutable std::mutex m_mutex;
    SessionState m_state = SessionState::Starting;
    std::shared_ptr<engines::EngineLink> m_link;
    std::shared_ptr<engines::EngineObserver> m_observer;
    std::unique_ptr<engines::RunningEngine> m_process;
    std::map<std::uint64_t, std::weak_ptr<SessionClient>> m_clients;
    std::map<std::uint64_t, ClientInfo> m_client_infos;
    std::string m_base;
    std::vector<std::function<void()>> m_after_end;
    int m_conflicts = 0;
    std::deque<Operation> m_operations;
    bool m_operation_running = false;
    int m_attempt = 0;
    Timers::TimerId m_grace_timer = 0;
    std::uint64_t m_generation = 0;
    bool m_ready_sent = false;
    bool m_opening = false;
    std::uint64_t m_saved_calls = 0;
    nlohmann::json m_scene;
    std::string m_frame;
    std::uint16_t m_preview_port = 0;
    std::map<std::string, CallOwner> m_calls;
};

/// Where browsers reach a session's preview: the hub proxies it (Router::proxy, DESIGN §4).
[[nodiscard]] inline std::string preview_path(const std::string& session_id) {
    return "/preview/" + session_id + "/";
}

} // namespace atelier::sessions
