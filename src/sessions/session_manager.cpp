// SPDX-License-Identifier: Apache-2.0
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

namespace {

engines::EngineSupervisor::Options supervisor_options(const SessionOptions& options) {
    engines::EngineSupervisor::Options supervision;
    supervision.kinds = options.kinds;
    supervision.hub_url = options.hub_url;
    supervision.pool_dir = options.sessions_dir;
    supervision.max_attempts = options.max_attempts;
    supervision.backoff_base = options.backoff_base;
    supervision.backoff_cap = options.backoff_cap;
    supervision.stop_grace = options.stop_grace;
    return supervision;
}

} // namespace

SessionManager::SessionManager(Deps deps, SessionOptions options)
    : m_deps(std::move(deps)), m_options(std::move(options)),
      m_supervisor(std::make_shared<engines::EngineSupervisor>(supervisor_options(m_options), m_deps.start_engine,
                                                               m_deps.tokens, m_deps.timers, m_deps.pool_worker)) {}

void SessionManager::attach() {
    std::weak_ptr<SessionManager> weak = weak_from_this();
    m_deps.engines.on_connected([weak](const std::shared_ptr<engines::EngineLink>& link) {
        if (auto self = weak.lock()) {
            self->on_engine(link);
        }
    });
}

void SessionManager::set_hub_url(std::string url) {
    m_supervisor->set_hub_url(std::move(url));
}

void SessionManager::start_pool() {
    m_supervisor->start_pool();
}

nlohmann::json SessionManager::pool_status() const {
    return m_supervisor->pool_status();
}

void SessionManager::send(const Client& tab, const std::string& type, const nlohmann::json& payload,
                          const std::string& re) {
    send_event(tab, type, payload, re);
}

void SessionManager::send_error(const Client& tab, const Error& error, const std::string& re) {
    send_error_event(tab, error, re);
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

std::string SessionManager::session_for(const Client& tab, const std::string& session_id) const {
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
        if (!link->info().app_version.empty()) {
            engine["app_name"] = link->info().app_name;
            engine["app_version"] = link->info().app_version;
        }
    }
    return {{"session_id", session->id},
            {"project_id", session->project_id},
            {"engine", engine},
            {"tools", tools},
            {"preview", preview_port == 0 ? nlohmann::json(nullptr) : nlohmann::json(preview_path(session->id))},
            {"clients", presence(session)["clients"]},
            {"scene", scene.is_object() && scene.contains("summary") ? scene["summary"] : nlohmann::json(nullptr)}};
}

void SessionManager::broadcast(const std::shared_ptr<Session>& session, const std::string& type,
                               const nlohmann::json& payload) {
    std::vector<Client> tabs;
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
        if (auto tab = weak.lock(); tab && !(m_rtc && m_rtc->delivering(id))) { // video tabs get no JPEG
            tab->deliver_frame(frame);
        }
    }
    if (m_rtc) {
        m_rtc->frame(session->id, frame);
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
    if (state == SessionState::Lost || state == SessionState::Ended) {
        // No longer the project's live session: the next start makes a new one.
        m_directory->release(session->project_id, session->id);
        if (m_rtc) {
            m_rtc->session_ended(session->id);
        }
    }
    broadcast(session, "session:status", payload);
    if (state == SessionState::Busy || state == SessionState::Ready) {
        announce_presence(session); // whether an agent turn runs is part of presence
    }
}

void SessionManager::start(const std::string& user_id, const std::string& project_id, const std::string& session_id,
                           const Client& tab, const std::string& re, const ClientInfo& client) {
    // A start may check out a large project and start a process: never on a network thread.
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    const bool posted = m_deps.workers.post(project_id, [weak_self, user_id, project_id, session_id, tab, re, client] {
        if (auto self = weak_self.lock()) {
            self->start_now(user_id, project_id, session_id, tab, re, client);
        }
    });
    if (!posted) {
        send_error(tab, Error{ErrorCode::Unavailable, "the hub is shutting down"}, re);
    }
}

void SessionManager::start_now(const std::string& user_id, const std::string& project_id, const std::string& session_id,
                               const Client& tab, const std::string& re, const ClientInfo& client) {
    auto project = m_deps.store.get_project(user_id, project_id);
    if (!project) {
        return send_error(tab, project.error(), re);
    }
    // A tab watches one session: opening another project leaves the previous one (its grace may begin).
    if (const auto previous = session_for(tab, {}); !previous.empty()) {
        const auto live = m_directory->live(project_id);
        if (!live || live->id != previous) {
            detach(tab);
        }
    }
    // The project's live session, whoever started it; else a new one (one per project).
    std::optional<engines::PooledEngine> pooled;
    auto claim = m_directory->claim(project_id, [&]() -> Result<std::shared_ptr<Session>> {
        pooled = m_supervisor->take(project->kind);
        auto created = create(user_id, *project, pooled ? &*pooled : nullptr);
        if (!created && pooled) {
            pooled->process->stop(m_options.stop_grace);
            pooled.reset();
        }
        return created;
    });
    if (!claim) {
        return send_error(tab, claim.error(), re);
    }
    auto session = claim->session;
    if (claim->joined) {
        bool ending = false;
        bool ended = false;
        auto again = [weak_self = weak_from_this(), user_id, project_id, tab, re, client] {
            if (auto self = weak_self.lock()) {
                self->start(user_id, project_id, {}, tab, re, client);
            }
        };
        {
            const std::lock_guard lock(session->mutex);
            ending = session->state == SessionState::Ending;
            ended = session->state == SessionState::Ended;
            if (ending) {
                // Its last version is being committed: the next session starts from it, not before.
                session->after_end.push_back(again);
            }
        }
        if (ended) {
            return again(); // it is being released from the directory this instant: claim again
        }
        if (ending) {
            return send(tab, "session:status",
                        {{"state", "starting"},
                         {"detail", "the project's previous session is saving; the new one starts right after"}},
                        re);
        }
        return join(session, tab, re, client);
    }
    {
        const std::lock_guard lock(session->mutex);
        session->tabs[tab->id()] = tab;
        session->clients[tab->id()] = client;
    }
    {
        const std::lock_guard lock(m_mutex);
        m_tab_sessions[tab->id()] = session->id;
    }
    std::string detail = pooled ? "opening the project in a warm engine" : "launching the engine";
    if (!session_id.empty()) {
        detail = fmt::format("session {} is over; a new session was started", session_id);
    }
    spdlog::info("session {} (project {}): started by {} {}", short_id(session->id), short_id(project_id),
                 client_kind_name(client.kind), tab->id());
    send(tab, "session:status", {{"state", "starting"}, {"session_id", session->id}, {"detail", detail}}, re);
    announce_presence(session);
    if (pooled) {
        return adopt(session, std::move(*pooled));
    }
    if (auto launched = launch(session); !launched) {
        set_state(session, SessionState::Lost, launched.error().message);
    }
}

void SessionManager::join(const std::shared_ptr<Session>& session, const Client& tab, const std::string& re,
                          const ClientInfo& client) {
    SessionState state;
    std::shared_ptr<engines::EngineLink> link;
    std::size_t clients = 0;
    {
        const std::lock_guard lock(session->mutex);
        m_deps.timers.cancel(session->grace_timer);
        session->grace_timer = 0;
        session->tabs[tab->id()] = tab;
        session->clients[tab->id()] = client;
        if (session->state == SessionState::Detached) {
            session->state = session->link ? SessionState::Ready : SessionState::Starting;
        }
        state = session->state;
        link = session->link;
        clients = session->clients.size();
    }
    {
        const std::lock_guard lock(m_mutex);
        m_tab_sessions[tab->id()] = session->id;
    }
    spdlog::info("session {} (project {}): {} {} joined ({} client{})", short_id(session->id),
                 short_id(session->project_id), client_kind_name(client.kind), tab->id(), clients,
                 clients == 1 ? "" : "s");
    if (link && (state == SessionState::Ready || state == SessionState::Busy)) {
        auto payload = ready_payload(session);
        payload["resumed"] = true;
        send(tab, "session:ready", payload, re);
        replay(session, tab);
    } else {
        send(tab, "session:status",
             {{"state", state_name(state)}, {"session_id", session->id}, {"detail", "joined the project's session"}},
             re);
    }
    announce_presence(session);
}

nlohmann::json SessionManager::presence(const std::shared_ptr<Session>& session) const {
    nlohmann::json clients = nlohmann::json::array();
    bool turn = false;
    {
        const std::lock_guard lock(session->mutex);
        for (const auto& [id, client] : session->clients) {
            clients.push_back(client_json(id, client));
        }
        turn = session->state == SessionState::Busy;
    }
    if (turn) {
        clients.push_back(client_json(0, agent_client()));
    }
    return {{"session_id", session->id}, {"clients", clients}, {"agent", {{"running", turn}}}};
}

void SessionManager::announce_presence(const std::shared_ptr<Session>& session) {
    broadcast(session, "session:presence", presence(session));
}

nlohmann::json SessionManager::client_of(Session& session, const Client& tab) {
    if (!tab) {
        return client_json(0, agent_client());
    }
    const std::lock_guard lock(session.mutex);
    const auto it = session.clients.find(tab->id());
    return client_json(tab->id(), it == session.clients.end() ? ClientInfo{} : it->second);
}

Result<std::shared_ptr<Session>> SessionManager::create(const std::string& user_id, const store::Project& project,
                                                        const engines::PooledEngine* pooled) {
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

void SessionManager::end(const std::string& user_id, const std::string& session_id, const Client& tab) {
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
        if (!self->m_deps.workers.on_worker()) {
            // Stopping the engine waits for it: on the worker. Inline only if the worker is gone.
            auto stop = [weak_self, session, why] {
                if (auto again = weak_self.lock()) {
                    again->stop_session(session, why);
                }
            };
            if (self->m_deps.workers.post(session->project_id, stop)) {
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
        std::unique_ptr<engines::RunningEngine> process;
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
        std::vector<std::function<void()>> waiting;
        {
            const std::lock_guard lock(session->mutex);
            waiting.swap(session->after_end);
        }
        for (const auto& start : waiting) {
            start(); // starts that arrived while this session was saving: the project's next session
        }
    }
}

void SessionManager::detach(const Client& tab) {
    if (m_rtc) {
        m_rtc->tab_closed(tab->id());
    }
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
    bool others = false;
    {
        const std::lock_guard lock(session->mutex);
        session->tabs.erase(tab->id());
        session->clients.erase(tab->id());
        others = !session->tabs.empty();
    }
    if (others) {
        spdlog::info("session {} (project {}): client {} left", short_id(session->id), short_id(session->project_id),
                     tab->id());
        return announce_presence(session);
    }
    const std::lock_guard lock(session->mutex);
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
    m_supervisor->shutdown();
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
        std::unique_ptr<engines::RunningEngine> process;
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
        const nlohmann::json clients = presence(session)["clients"];
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
                         {"clients", clients},
                         {"started_at_ms", started}});
    }
    return {{"items", items}};
}

} // namespace atelier::sessions
