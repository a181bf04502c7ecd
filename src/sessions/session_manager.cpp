// SessionManager, the session side: starting and re-attaching, tabs, the grace period, ending,
// shutdown and the list. The engine side is session_engines.cpp; commands and commits are
// session_commands.cpp.

#include "sessions/session_manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "core/ids.h"
#include "protocol/browser_envelope.h"
#include "sessions/session_text.h"

namespace atelier::sessions {

const char* state_name(SessionState state) {
    switch (state) {
    case SessionState::Starting:
        return "starting";
    case SessionState::Ready:
        return "ready";
    case SessionState::Busy:
        return "busy";
    case SessionState::Detached:
        return "detached";
    case SessionState::Reconnecting:
        return "reconnecting";
    case SessionState::Lost:
        return "lost";
    case SessionState::Ending:
        return "ending";
    case SessionState::Ended:
        return "ended";
    }
    return "unknown";
}

SessionManager::SessionManager(Deps deps, SessionOptions options)
    : m_deps(std::move(deps)), m_options(std::move(options)) {}

void SessionManager::attach() {
    std::weak_ptr<SessionManager> weak = weak_from_this();
    m_deps.engines.on_connected([weak](const std::shared_ptr<engines::EngineLink>& link) {
        if (auto self = weak.lock()) {
            self->on_engine(link);
        }
    });
}

void SessionManager::set_hub_url(std::string url) {
    const std::lock_guard lock(m_mutex);
    m_options.hub_url = std::move(url);
}

void SessionManager::start_pool() {
    EnginePool::Options options;
    for (const auto& [kind, config] : m_options.kinds) {
        if (config.pool > 0) {
            options.sizes[kind] = static_cast<int>(config.pool);
        }
    }
    if (options.sizes.empty()) {
        return;
    }
    options.dir = m_options.sessions_dir;
    options.max_failures = m_options.max_attempts;
    options.backoff_base = m_options.backoff_base;
    options.backoff_cap = m_options.backoff_cap;
    options.stop_grace = m_options.stop_grace;
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    auto launch = [weak_self](const std::string& kind, const std::string& id, const std::filesystem::path& workdir,
                              const std::filesystem::path& log_file) -> Result<std::unique_ptr<RunningEngine>> {
        auto self = weak_self.lock();
        if (!self) {
            return fail(ErrorCode::Unavailable, "the hub is shutting down");
        }
        return self->m_deps.start_engine(self->launch_request(kind, id, workdir, log_file));
    };
    m_pool = std::make_shared<EnginePool>(std::move(options), std::move(launch), m_deps.worker, m_deps.timers);
    m_pool->fill();
}

nlohmann::json SessionManager::pool_status() const {
    return m_pool ? m_pool->status() : nlohmann::json::object();
}

void SessionManager::send(const Tab& tab, const std::string& type, const nlohmann::json& payload,
                          const std::string& re) {
    if (!tab) {
        return; // a turn no tab asked for (an automatic fix) answers through publish only
    }
    protocol::BrowserEnvelope envelope{type, new_uuid(), payload, std::nullopt};
    if (!re.empty()) {
        envelope.re = re;
    }
    tab->send_text(protocol::serialize_browser_envelope(envelope));
}

void SessionManager::send_error(const Tab& tab, const Error& error, const std::string& re) {
    nlohmann::json payload{{"code", error_code_name(error.code)}, {"message", error.message}};
    if (!error.details.empty()) {
        auto details = nlohmann::json::parse(error.details, nullptr, false);
        payload["details"] = details.is_discarded() ? nlohmann::json(error.details) : details;
    }
    send(tab, "error", payload, re);
}

std::shared_ptr<Session> SessionManager::find(const std::string& user_id, const std::string& session_id) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_sessions.find(session_id);
    // Another user's session is answered exactly like a missing one.
    if (it == m_sessions.end() || it->second->user_id != user_id) {
        return nullptr;
    }
    return it->second;
}

std::string SessionManager::session_for(const Tab& tab, const std::string& session_id) const {
    if (!session_id.empty()) {
        return session_id;
    }
    const std::lock_guard lock(m_mutex);
    const auto it = m_tab_sessions.find(tab->id());
    return it == m_tab_sessions.end() ? std::string() : it->second;
}

nlohmann::json SessionManager::ready_payload(const std::shared_ptr<Session>& session) const {
    std::shared_ptr<engines::EngineLink> link;
    std::uint16_t preview_port = 0;
    nlohmann::json scene;
    {
        const std::lock_guard lock(session->mutex);
        link = session->link;
        preview_port = session->preview_port;
        scene = session->last_scene;
    }
    nlohmann::json tools = nlohmann::json::array();
    nlohmann::json engine = nlohmann::json::object();
    if (link) {
        for (const auto& tool : link->tools().snapshot()->tools) {
            tools.push_back(tool->to_json());
        }
        engine = {{"id", link->info().id}, {"kind", link->info().kind}, {"version", link->info().version}};
    }
    return {{"session_id", session->id},
            {"project_id", session->project_id},
            {"engine", engine},
            {"tools", tools},
            {"preview", preview_port == 0 ? nlohmann::json(nullptr) : nlohmann::json(preview_path(session->id))},
            {"scene", scene.is_object() && scene.contains("summary") ? scene["summary"] : nlohmann::json(nullptr)}};
}

void SessionManager::broadcast(const std::shared_ptr<Session>& session, const std::string& type,
                               const nlohmann::json& payload) {
    std::vector<Tab> tabs;
    {
        const std::lock_guard lock(session->mutex);
        for (const auto& [id, weak] : session->tabs) {
            if (auto tab = weak.lock()) {
                tabs.push_back(std::move(tab));
            }
        }
    }
    for (const auto& tab : tabs) {
        send(tab, type, payload);
    }
}

void SessionManager::broadcast_frame(const std::shared_ptr<Session>& session, const std::string& frame) {
    const std::lock_guard lock(session->mutex);
    session->last_frame = frame;
    for (const auto& [id, weak] : session->tabs) {
        if (auto tab = weak.lock()) {
            tab->send_binary(frame); // latest-wins per tab: a slow tab skips frames
        }
    }
}

void SessionManager::set_state(const std::shared_ptr<Session>& session, SessionState state, const std::string& detail) {
    int attempt = 0;
    {
        const std::lock_guard lock(session->mutex);
        session->state = state;
        attempt = session->attempt;
    }
    (void)m_deps.store.update_session(session->user_id, session->id, store::SessionUpdate{state_name(state), {}});
    nlohmann::json payload{{"state", state_name(state)}, {"detail", detail}};
    if (state == SessionState::Reconnecting) {
        payload["attempt"] = attempt;
        payload["max_attempts"] = m_options.max_attempts;
    }
    spdlog::info("session {} (project {}): {}{}{}", short_id(session->id), short_id(session->project_id),
                 state_name(state), detail.empty() ? "" : ": ", detail);
    broadcast(session, "session:status", payload);
}

void SessionManager::start(const std::string& user_id, const std::string& project_id, const std::string& session_id,
                           const Tab& tab, const std::string& re) {
    // A start may check out a large project and start a process: never on a network thread.
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    const bool posted = m_deps.worker.post([weak_self, user_id, project_id, session_id, tab, re] {
        if (auto self = weak_self.lock()) {
            self->start_now(user_id, project_id, session_id, tab, re);
        }
    });
    if (!posted) {
        send_error(tab, Error{ErrorCode::Unavailable, "the hub is shutting down"}, re);
    }
}

void SessionManager::start_now(const std::string& user_id, const std::string& project_id, const std::string& session_id,
                               const Tab& tab, const std::string& re) {
    auto project = m_deps.store.get_project(user_id, project_id);
    if (!project) {
        return send_error(tab, project.error(), re);
    }
    // A tab watches one session: starting another leaves the previous one (its grace may begin).
    if (const auto previous = session_for(tab, {}); !previous.empty() && previous != session_id) {
        detach(tab);
    }
    std::string detail;
    if (!session_id.empty()) {
        auto existing = find(user_id, session_id);
        bool usable = false;
        if (existing && existing->project_id == project_id) {
            const std::lock_guard lock(existing->mutex);
            usable = existing->state != SessionState::Ended && existing->state != SessionState::Ending &&
                     existing->state != SessionState::Lost;
            if (usable) {
                m_deps.timers.cancel(existing->grace_timer);
                existing->grace_timer = 0;
                existing->tabs[tab->id()] = tab;
            }
        }
        if (usable) {
            {
                const std::lock_guard lock(m_mutex);
                m_tab_sessions[tab->id()] = existing->id;
            }
            spdlog::info("session {} (project {}): tab {} re-attached", short_id(existing->id), short_id(project_id),
                         tab->id());
            SessionState state;
            std::shared_ptr<engines::EngineLink> link;
            {
                const std::lock_guard lock(existing->mutex);
                if (existing->state == SessionState::Detached) {
                    existing->state = existing->link ? SessionState::Ready : SessionState::Starting;
                }
                state = existing->state;
                link = existing->link;
            }
            if (link && (state == SessionState::Ready || state == SessionState::Busy)) {
                auto payload = ready_payload(existing);
                payload["resumed"] = true;
                send(tab, "session:ready", payload, re);
                return replay(existing, tab);
            }
            return send(tab, "session:status",
                        {{"state", state_name(state)}, {"session_id", existing->id}, {"detail", "re-attached"}}, re);
        }
        detail = fmt::format("session {} is over; a new session was started", session_id);
    }
    std::optional<PooledEngine> pooled;
    if (m_pool) {
        pooled = m_pool->take(project->kind);
    }
    auto created = create(user_id, *project, pooled ? &*pooled : nullptr);
    if (!created) {
        if (pooled) {
            pooled->process->stop(m_options.stop_grace);
        }
        return send_error(tab, created.error(), re);
    }
    auto session = *created;
    {
        const std::lock_guard lock(session->mutex);
        session->tabs[tab->id()] = tab;
    }
    {
        const std::lock_guard lock(m_mutex);
        m_tab_sessions[tab->id()] = session->id;
    }
    send(tab, "session:status",
         {{"state", "starting"},
          {"session_id", session->id},
          {"detail", !detail.empty() ? detail
                     : pooled        ? "opening the project in a warm engine"
                                     : "launching the engine"}},
         re);
    if (pooled) {
        return adopt(session, std::move(*pooled));
    }
    if (auto launched = launch(session); !launched) {
        set_state(session, SessionState::Lost, launched.error().message);
    }
}

Result<std::shared_ptr<Session>> SessionManager::create(const std::string& user_id, const store::Project& project,
                                                        const PooledEngine* pooled) {
    const auto kind = m_options.kinds.find(project.kind);
    if (kind == m_options.kinds.end()) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("no engine of kind '{}' is configured on this hub ([engines.{}] in the config)",
                                project.kind, project.kind));
    }
    auto session = std::make_shared<Session>();
    session->id = new_uuid();
    session->user_id = user_id;
    session->project_id = project.id;
    session->kind = project.kind;
    const auto dir = m_options.sessions_dir / session->id;
    session->workdir = pooled ? pooled->workdir : dir / "work";
    session->log_file = pooled ? pooled->log_file : dir / "engine.log";
    std::error_code error;
    std::filesystem::create_directories(session->workdir, error);
    if (error) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("cannot create {}: {}", session->workdir.string(), error.message()));
    }
    ATELIER_TRY(checkout_head(*session));
    ATELIER_TRY(
        m_deps.store.create_session(user_id, store::NewSession{session->id, project.id, "starting", project.kind}));
    {
        const std::lock_guard lock(m_mutex);
        m_sessions[session->id] = session;
    }
    spdlog::info("session {} (project {}): created for user {}, kind {}", short_id(session->id), short_id(project.id),
                 short_id(user_id), project.kind);
    return session;
}

void SessionManager::end(const std::string& user_id, const std::string& session_id, const Tab& tab) {
    if (auto session = find(user_id, session_for(tab, session_id))) {
        finish(session, "ended by the user");
    }
}

void SessionManager::finish(const std::shared_ptr<Session>& session, const std::string& why, bool save) {
    {
        const std::lock_guard lock(session->mutex);
        if (session->state == SessionState::Ending || session->state == SessionState::Ended) {
            return;
        }
        m_deps.timers.cancel(session->grace_timer);
    }
    set_state(session, SessionState::Ending, why);
    if (auto agent = agent_handler()) {
        agent->session_ending(session); // a running turn stops before the final save
    }
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    auto after_save = [weak_self, session, why](const Result<std::string>& /*revision*/) {
        auto self = weak_self.lock();
        if (!self) {
            return;
        }
        if (!self->m_deps.worker.on_worker()) {
            // Stopping the engine waits for it: on the worker. Inline only if the worker is gone.
            auto stop = [weak_self, session, why] {
                if (auto again = weak_self.lock()) {
                    again->stop_session(session, why);
                }
            };
            if (self->m_deps.worker.post(stop)) {
                return;
            }
        }
        self->stop_session(session, why);
    };
    // Nothing changed since the last version (no mutating call since the last save, or the
    // project is gone): no save, no empty "session end" version.
    bool unchanged = !save;
    {
        const std::lock_guard lock(session->mutex);
        unchanged = unchanged || !session->link || session->link->mutating_calls() == session->saved_calls;
    }
    if (unchanged) {
        return after_save(std::string());
    }
    save_and_commit(session, "session end", std::move(after_save));
}

void SessionManager::stop_session(const std::shared_ptr<Session>& session, const std::string& why) {
    auto* self = this;
    {
        std::unique_ptr<RunningEngine> process;
        std::shared_ptr<engines::EngineLink> link;
        {
            const std::lock_guard lock(session->mutex);
            ++session->generation; // the exit that follows is on purpose
            process = std::move(session->process);
            link = std::move(session->link);
        }
        if (link) {
            link->request("engine/shutdown", nlohmann::json::object(), std::chrono::seconds(2),
                          [](Result<nlohmann::json>) {});
        }
        if (process) {
            process->stop(self->m_options.stop_grace);
        }
        self->keep_renders(*session);
        {
            // Gone from GET /api/sessions before the tabs hear "ended".
            const std::lock_guard lock(self->m_mutex);
            self->m_sessions.erase(session->id);
        }
        self->set_state(session, SessionState::Ended, why);
    }
}

void SessionManager::detach(const Tab& tab) {
    std::shared_ptr<Session> session;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_tab_sessions.find(tab->id());
        if (it == m_tab_sessions.end()) {
            return;
        }
        const auto found = m_sessions.find(it->second);
        m_tab_sessions.erase(it);
        if (found == m_sessions.end()) {
            return;
        }
        session = found->second;
    }
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    std::weak_ptr<Session> weak = session;
    const std::lock_guard lock(session->mutex);
    session->tabs.erase(tab->id());
    if (!session->tabs.empty() || session->state == SessionState::Ending || session->state == SessionState::Ended) {
        return;
    }
    if (session->state == SessionState::Ready) { // a busy session stays busy; its turn ends it
        session->state = SessionState::Detached;
    }
    spdlog::info("session {} (project {}): last tab left, ending in {} ms unless one returns", short_id(session->id),
                 short_id(session->project_id), m_options.grace.count());
    session->grace_timer = m_deps.timers.schedule(m_options.grace, [weak_self, weak] {
        auto self = weak_self.lock();
        auto alive = weak.lock();
        if (!self || !alive) {
            return;
        }
        {
            const std::lock_guard inner(alive->mutex);
            if (!alive->tabs.empty()) {
                return;
            }
        }
        self->finish(alive, "grace period over");
    });
}

void SessionManager::shutdown(std::chrono::milliseconds deadline) {
    if (m_pool) {
        m_pool->shutdown();
    }
    std::vector<std::shared_ptr<Session>> sessions;
    {
        const std::lock_guard lock(m_mutex);
        for (const auto& [id, session] : m_sessions) {
            sessions.push_back(session);
        }
    }
    for (const auto& session : sessions) {
        finish(session, "the hub is shutting down");
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        {
            const std::lock_guard lock(m_mutex);
            if (m_sessions.empty()) {
                return;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Whatever did not save in time is stopped anyway: nothing may outlive the hub.
    for (const auto& session : sessions) {
        std::unique_ptr<RunningEngine> process;
        {
            const std::lock_guard lock(session->mutex);
            process = std::move(session->process);
        }
        if (process) {
            process->stop(std::chrono::milliseconds(500));
        }
    }
}

nlohmann::json SessionManager::list(const std::string& user_id) const {
    nlohmann::json items = nlohmann::json::array();
    std::vector<std::shared_ptr<Session>> sessions;
    {
        const std::lock_guard lock(m_mutex);
        for (const auto& [id, session] : m_sessions) {
            if (session->user_id == user_id) {
                sessions.push_back(session);
            }
        }
    }
    for (const auto& session : sessions) {
        const std::lock_guard lock(session->mutex);
        const auto started =
            std::chrono::duration_cast<std::chrono::milliseconds>(session->started.time_since_epoch()).count();
        items.push_back({{"id", session->id},
                         {"project_id", session->project_id},
                         {"state", state_name(session->state)},
                         {"engine_kind", session->kind},
                         {"engine_id", session->link ? session->link->info().id : ""},
                         {"engine_pid", session->process ? session->process->pid() : 0},
                         {"tabs", session->tabs.size()},
                         {"started_at_ms", started}});
    }
    return {{"items", items}};
}

} // namespace atelier::sessions
