// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/timers.h"
#include "core/worker.h"
#include "core/worker_pool.h"
#include "engines/engine_directory.h"
#include "engines/engine_supervisor.h"
#include "engines/launch_tokens.h"
#include "sessions/agent_handler.h"
#include "sessions/session.h"
#include "sessions/session_directory.h"
#include "sessions/viewport_rtc.h"
#include "store/project_locks.h"
#include "store/project_repos.h"
#include "store/store.h"

namespace atelier::sessions {

struct SessionOptions {
    std::chrono::milliseconds grace{30'000};
    std::filesystem::path sessions_dir;
    std::filesystem::path renders_dir; ///< <data>/renders: each project's renders once its session stopped
    std::filesystem::path
        thumbnails_dir;  ///< <data>/thumbnails: a picture per version (store::VersionThumbnails); empty: none
    std::string hub_url; ///< the /ws/engine URL engines connect to
    std::map<std::string, EngineKindConfig> kinds;
    int max_attempts = 5;
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_cap{10'000};
    std::chrono::milliseconds save_timeout{60'000};
    std::chrono::milliseconds open_timeout{60'000}; ///< project/open of a pooled engine
    std::chrono::milliseconds stop_grace{3'000};
    std::shared_ptr<SessionDirectory> directory; ///< null: this hub's own, in memory (a cluster's: docs/scaling.md)
};

/// Joins a user's project to a live engine and any number of browser tabs (DESIGN §5): starts
/// or re-attaches sessions, runs direct commands (validated, then saved and committed when they
/// mutate), forwards registry/scene/frames to every tab, relaunches a lost engine with backoff
/// from the last committed version, and ends sessions (save, commit, stop) on request, after the
/// grace period, or at shutdown. Thread-safe.
class SessionManager : public AgentHost, public std::enable_shared_from_this<SessionManager> {
    friend class SessionObserver; // forwards one engine's events into the private broadcast paths
public:
    struct Deps {
        store::Store& store;
        const store::ProjectRepos& repos;
        /// Held around every repository write of a project (shared with REST).
        store::ProjectLocks& locks;
        engines::EngineDirectory& engines;
        engines::LaunchTokens& tokens;
        /// Grace periods and relaunch backoff (TimerQueue; a ManualClock in tests).
        Timers& timers;
        /// Slow work of a session (checkouts, commits, launches, stops) runs here, in one order per
        /// project, never on a network or timer thread.
        WorkerPool& workers;
        /// The warm pool's launches and stops.
        Worker& pool_worker;
        /// Starts one engine process (app/ wires the kind's launcher; tests a fake).
        engines::EngineStarter start_engine;
    };
    SessionManager(Deps deps, SessionOptions options);

    /// Subscribes to engine connections; call once after construction.
    void attach();
    /// The /ws/engine URL launched engines get (known once the port is bound).
    void set_hub_url(std::string url);
    /// Starts the warm pools of the kinds with `pool > 0`; call once the hub URL is known.
    void start_pool();
    /// Per kind: size, idle, starting, failures.
    [[nodiscard]] nlohmann::json pool_status() const;

    using Client = std::shared_ptr<SessionClient>;
    /// `session:start`: joins the project's live session (one per project, whoever started it:
    /// another tab, an MCP client), else starts one. `session_id` is a hint only: a session that
    /// is over is reported as such in the `detail` of the new one's status. Replies
    /// `session:ready {resumed}` or `session:status` to the tab; every client gets the new
    /// `session:presence`. `client` says who the connection is.
    void start(const std::string& user_id, const std::string& project_id, const std::string& session_id,
               const Client& tab, const std::string& re, const ClientInfo& client = {});
    /// `command:send`: runs one tool on the session's engine (`session_id` may be empty: the
    /// tab's session); replies `command:result`. `call_id`, when given, is the engine call's id
    /// (the `call_id` of its `render:progress` events), so a caller can tell its call's progress.
    /// `recording`: whether it joins the session's recent commands (a studio panel's own calls,
    /// such as the timeline's frames, do not).
    void command(const std::string& user_id, const std::string& session_id, const std::string& tool,
                 const nlohmann::json& arguments, const Client& tab, const std::string& re,
                 const std::string& call_id = {}, ActivityRecording recording = ActivityRecording::Recorded);
    /// `command:cancel {command}`: cancels this tab's running `command:send` whose id is
    /// `request_id`; `ack {cancelled}`, then that command's own result.
    void cancel_command(const std::string& user_id, const std::string& session_id, const std::string& request_id,
                        const Client& tab, const std::string& re);
    /// Cancels the engine call `call_id` that command() started in the session (MCP): the engine
    /// gets `$/cancel` and the command's tab a `command:result` saying so. False when none runs.
    bool cancel_call(const std::string& user_id, const std::string& session_id, const std::string& call_id);
    /// Who asked for engine call `call_id` (added to its `render:progress`), until untracked.
    static void track_call_of(const std::shared_ptr<Session>& session, const std::string& call_id, nlohmann::json tags,
                              std::uint64_t tab_id = 0);
    static void untrack_call_of(const std::shared_ptr<Session>& session, const std::string& call_id);
    /// `viewport:configure {width?, height?, shading?, codec?}`: the size and look of the
    /// session's viewport frames, passed to the engine as `viewport/configure`; `ack` with its answer.
    void configure_viewport(const std::string& user_id, const std::string& session_id, const nlohmann::json& payload,
                            const Client& tab, const std::string& re);
    /// `viewport:camera`: passed to the engine (which coalesces).
    void camera(const std::string& user_id, const std::string& session_id, const nlohmann::json& payload,
                const Client& tab);
    /// `session:end`: save, commit, stop; every tab gets `session:status {state: ended}`.
    void end(const std::string& user_id, const std::string& session_id, const Client& tab);
    /// A tab closed: when it was the last one, the grace period starts.
    void detach(const Client& tab);
    /// A version of the project was restored (REST): its live sessions reopen it, so the engine's
    /// next save cannot write the old scene over the restore.
    void project_restored(const std::string& user_id, const std::string& project_id);
    /// The project was deleted: its sessions end without saving.
    void project_deleted(const std::string& user_id, const std::string& project_id);
    /// Another hub took the project's lease (this hub was cut off past its expiry): its session here ends without
    /// saving (session_cluster.cpp).
    void lease_lost(const std::string& project_id);
    /// Ends every session (hub shutdown), waiting at most `deadline` for saves.
    void shutdown(std::chrono::milliseconds deadline);

    /// The agent that answers `message:send` and `agent:cancel` (set once, before serving).
    void set_agent(std::shared_ptr<AgentHandler> agent);
    /// `message:send`: a user turn for the session's agent (`session_id` may be empty: the tab's
    /// session). Without an agent the tab gets an `error`.
    void message(const std::string& user_id, const std::string& session_id, const std::string& text,
                 const nlohmann::json& attachments, const Client& tab, const std::string& re);
    /// `agent:cancel`: stops the session's running turn and drops its queued ones.
    void cancel_turn(const std::string& user_id, const std::string& session_id, const Client& tab,
                     const std::string& re);
    // AgentHost (agent_handler.h): what the agent may do with a session.
    void publish(const std::shared_ptr<Session>& session, const std::string& type,
                 const nlohmann::json& payload) override;
    /// For the agent: project/save, commit with `message`, record the version; `done` gets the
    /// revision (see save_and_commit).
    void commit_turn(const std::shared_ptr<Session>& session, const std::string& message,
                     std::function<void(Result<std::string>)> done) override;

    void set_busy(const std::shared_ptr<Session>& session, bool busy) override;
    [[nodiscard]] std::shared_ptr<engines::EngineLink> engine(const std::shared_ptr<Session>& session) const override;
    [[nodiscard]] bool accepting(const std::shared_ptr<Session>& session) const override;
    void track_call(const std::shared_ptr<Session>& session, const std::string& call_id, nlohmann::json tags) override {
        track_call_of(session, call_id, std::move(tags));
    }
    void untrack_call(const std::shared_ptr<Session>& session, const std::string& call_id) override {
        untrack_call_of(session, call_id);
    }

    /// `preview:error` from a tab (the preview page caught an error): acked with what the agent did
    /// about it (`fix`: started, queued, limit, duplicate, or no_model).
    void report_preview_error(const std::string& user_id, const std::string& session_id, const nlohmann::json& payload,
                              const Client& tab, const std::string& re);
    /// Where /preview/<session_id>/ goes for this user: the host its engine's preview server is
    /// reached on (RunningEngine::preview_host: loopback, a Pod's IP) and the port it announced.
    struct PreviewAddress {
        std::string host;
        std::uint16_t port = 0;
    };
    [[nodiscard]] Result<PreviewAddress> preview_address(const std::string& user_id,
                                                         const std::string& session_id) const;

    /// Where this user's renders of a project are, newest first: the live sessions' `renders/`,
    /// then the project's kept renders (session_renders.cpp).
    [[nodiscard]] std::vector<std::filesystem::path> render_dirs(const std::string& user_id,
                                                                 const std::string& project_id) const;

    /// Uploads and deletes while the project is live (session_files.cpp): false when no session holds
    /// it; else the edits go into the working tree, are committed with the session (`message`) and
    /// the engine gets `project/files_changed {paths}`; `done` gets the revision.
    bool edit_files(const std::string& user_id, const std::string& project_id, std::vector<store::FileEdit> edits,
                    const std::string& message, std::function<void(Result<std::string>)> done);
    /// The WebRTC viewport (session_webrtc.cpp); null: tabs get JPEG frames only. Set before serving.
    void set_rtc(std::shared_ptr<ViewportRtc> rtc);
    /// `viewport:webrtc_{start,answer,ice,stop}` from a tab, for its session's viewport.
    void webrtc(const std::string& user_id, const std::string& session_id, const std::string& type,
                const nlohmann::json& payload, const Client& tab, const std::string& re);

    /// GET /api/sessions: this user's live sessions.
    [[nodiscard]] nlohmann::json list(const std::string& user_id) const;

    /// Sends `{type, id, payload, re?}` to one tab.
    static void send(const Client& tab, const std::string& type, const nlohmann::json& payload,
                     const std::string& re = {});
    static void send_error(const Client& tab, const Error& error, const std::string& re);

private:
    /// The session's engine link, or null after telling the tab the engine is not ready.
    static std::shared_ptr<engines::EngineLink> ready_link(Session& session, const Client& tab, const std::string& re);
    /// Moves the session's renders to the project's kept renders (the engine has stopped).
    void keep_renders(const Session& session);
    /// On the project's worker, right after `revision` was committed: the session's latest viewport
    /// frame becomes the version's picture (session_thumbnails.cpp). Failing to keep it is logged.
    void keep_thumbnail(Session& session, const std::string& revision);
    /// The engine's `preview/ready {port}`: kept for the proxy, told to the tabs.
    void preview_ready(const std::shared_ptr<Session>& session, const nlohmann::json& params);
    /// The engine's `preview/error`: shown to the tabs, handed to the agent.
    void preview_error(const std::shared_ptr<Session>& session, const nlohmann::json& params);
    std::shared_ptr<Session> find(const std::string& user_id, const std::string& session_id) const;
    std::shared_ptr<AgentHandler> agent_handler() const;
    /// `session_id` when given, else the session this tab started or attached to.
    std::string session_for(const Client& tab, const std::string& session_id) const;
    void start_now(const std::string& user_id, const std::string& project_id, const std::string& session_id,
                   const Client& tab, const std::string& re, const ClientInfo& client);
    /// Adds `tab` to a session that is already live: cancels its grace, answers `session:ready
    /// {resumed: true}` (or its status while it starts), replays scene and frame.
    void join(const std::shared_ptr<Session>& session, const Client& tab, const std::string& re,
              const ClientInfo& client);
    using Operation = std::function<void(std::function<void()> next)>;
    /// Runs `operation` once the session's earlier operations are over (one order for commands
    /// from every client, commits and reopens, so a restore can never land between a command and
    /// its save). The operation calls `next` exactly once, from any thread, when it is done.
    void enqueue(const std::shared_ptr<Session>& session, Operation operation);
    /// `{clients, agent}` of the session: who is attached, whether an agent turn runs.
    nlohmann::json presence(const std::shared_ptr<Session>& session) const;
    /// `session:presence` to every client of the session.
    void announce_presence(const std::shared_ptr<Session>& session);
    /// `by` for what `tab` did in `session`: its client description (the agent when null).
    static nlohmann::json client_of(Session& session, const Client& tab);
    /// After a conflict (or a restore): the project's current version into the working tree, and
    /// the engine reopens it; a relaunch from it when the engine cannot.
    void reopen_head(const std::shared_ptr<Session>& session, const std::string& why);
    /// A session row and its working tree (`pooled`'s directory when given, else a new one),
    /// checked out from the project's current version.
    Result<std::shared_ptr<Session>> create(const std::string& user_id, const store::Project& project,
                                            const engines::PooledEngine* pooled);
    Result<void> launch(const std::shared_ptr<Session>& session);
    /// Hands a pooled engine the session's tree (`project/open`), then binds it; launches a
    /// fresh engine instead when the pooled one cannot open it.
    void adopt(const std::shared_ptr<Session>& session, engines::PooledEngine pooled);
    /// Watches `process` for the session's current generation.
    void watch_exit(const std::shared_ptr<Session>& session, engines::RunningEngine& process, std::uint64_t generation);
    void on_engine(const std::shared_ptr<engines::EngineLink>& link);
    /// Makes `link` the session's engine: observers, then session:ready once its tools are known.
    void bind_link(const std::shared_ptr<Session>& session, const std::shared_ptr<engines::EngineLink>& link);
    /// After an engine was lost: stop what is left of it, then relaunch later or give up (`lost`).
    void retry_or_lose(const std::shared_ptr<Session>& session, int attempt, const std::string& why,
                       engines::RunningEngine* old_process);
    void relaunch(const std::shared_ptr<Session>& session);
    /// The project's current version into the session's working tree (serialised with commits).
    Result<void> checkout_head(Session& session);
    /// session:ready to every tab, once per engine; false when it had already gone out.
    bool announce_ready(const std::shared_ptr<Session>& session);
    void on_engine_gone(const std::shared_ptr<Session>& session, std::uint64_t generation, const std::string& why);
    void broadcast(const std::shared_ptr<Session>& session, const std::string& type, const nlohmann::json& payload);
    /// Like broadcast, to every client but `except`.
    void broadcast_except(const std::shared_ptr<Session>& session, const Client& except, const std::string& type,
                          const nlohmann::json& payload);
    void broadcast_frame(const std::shared_ptr<Session>& session, const std::string& frame);
    void set_state(const std::shared_ptr<Session>& session, SessionState state, const std::string& detail = {});
    nlohmann::json ready_payload(const std::shared_ptr<Session>& session) const;
    /// project/save, then commit the working tree against the session's base and record the
    /// version; `done` gets the revision, or Conflict when the project had moved on (the change is
    /// kept aside, every client is told, the engine reloads the current version). `by` is who
    /// caused it (client_json), shown on `version:created`.
    void save_and_commit(const std::shared_ptr<Session>& session, const std::string& message,
                         std::function<void(Result<std::string>)> done, nlohmann::json by = nullptr);
    /// The command's turn has come: call the engine, then save and commit when it mutated.
    void run_command(const std::shared_ptr<Session>& session, const std::string& tool, const nlohmann::json& arguments,
                     const Client& tab, const std::string& re, const std::string& engine_call_id,
                     const nlohmann::json& by, std::function<void()> next);
    /// Starts the session's next operation, or marks the queue idle.
    void run_operations(const std::shared_ptr<Session>& session);
    /// save_and_commit inside an operation that is already running (no second enqueue).
    void save_and_commit_now(const std::shared_ptr<Session>& session, const std::string& message,
                             std::function<void(Result<std::string>)> done, nlohmann::json by);
    /// The commit half of save_and_commit (on the worker).
    void commit(const std::shared_ptr<Session>& session, const std::string& message, const nlohmann::json& by,
                const std::function<void(Result<std::string>)>& done);
    /// A refused commit: the tree kept under refs/atelier/kept/, clients told, engine reloaded.
    Error keep_conflict(const std::shared_ptr<Session>& session, store::ProjectRepo& repo,
                        const store::CommitAuthor& author, const std::string& message, const nlohmann::json& by,
                        const Error& conflict);
    /// Ends a session: save + commit (when `save` and something changed since the last version),
    /// then stop_session().
    void finish(const std::shared_ptr<Session>& session, const std::string& why, bool save = true);
    /// The latest scene summary and frame to a tab that (re-)attaches.
    void replay(const std::shared_ptr<Session>& session, const Client& tab);
    [[nodiscard]] std::vector<std::shared_ptr<Session>> sessions_of(const std::string& user_id,
                                                                    const std::string& project_id) const;
    /// After the final save: engine/shutdown, stop the process, mark ended (on the worker).
    void stop_session(const std::shared_ptr<Session>& session, const std::string& why);

    Deps m_deps;
    SessionOptions m_options;
    mutable std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<Session>> m_sessions;
    std::map<std::uint64_t, std::string> m_tab_sessions; ///< tab connection id → session id
    std::shared_ptr<ViewportRtc> m_rtc;                  ///< set before serving; null: JPEG only
    std::shared_ptr<AgentHandler> m_agent;               ///< set before serving; null: no agent
    /// Launching, the warm pool and the relaunch policy (engines/engine_supervisor.h).
    std::shared_ptr<engines::EngineSupervisor> m_supervisor;
    /// project → its live session (one per project).
    std::shared_ptr<SessionDirectory> m_directory =
        m_options.directory ? m_options.directory : std::shared_ptr<SessionDirectory>(make_local_session_directory());
};

} // namespace atelier::sessions
