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
    const auto link = session->link();
    const auto preview_port = session->preview_port();
    const auto scene = session->scene();
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
            {"activity", session->activity.list()},
            {"scene", scene.is_object() && scene.contains("summary") ? scene["summary"] : nlohmann::json(nullptr)}};
}

void SessionManager::broadcast(const std::shared_ptr<Session>& session, const std::string& type,
                               const nlohmann::json& payload) {
    for (const auto& client : session->clients()) {
        send(client, type, payload);
    }
}

void SessionManager::broadcast_frame(const std::shared_ptr<Session>& session, const std::string& frame) {
    session->set_frame(frame);
    // Frames of one engine arrive on one thread, so each client gets them in order.
    for (const auto& client : session->clients()) {
        if (!(m_rtc && m_rtc->delivering(client->id()))) { // video tabs get no JPEG
            client->deliver_frame(frame);
        }
    }
    if (m_rtc) {
        m_rtc->frame(session->id, frame);
    }
}

void SessionManager::set_state(const std::shared_ptr<Session>& session, SessionState state, const std::string& detail) {
    const int attempt = session->set_state(state);
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
        bool ended = false;
        auto again = [weak_self = weak_from_this(), user_id, project_id, tab, re, client] {
            if (auto self = weak_self.lock()) {
                self->start(user_id, project_id, {}, tab, re, client);
            }
        };
        // A session that is ending commits its last version: the next one starts from it, not before.
        const bool ending = session->queue_after_end(again, ended);
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
    session->add_client(tab, client);
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
    const auto joined = session->join(tab, client);
    m_deps.timers.cancel(joined.grace_timer); // harmless when it fired: it finds a client and does nothing
    const auto state = joined.state;
    const auto& link = joined.link;
    const auto clients = joined.clients;
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
    for (const auto& [id, client] : session->client_infos()) {
        clients.push_back(client_json(id, client));
    }
    const bool turn = session->state() == SessionState::Busy;
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
    return client_json(tab->id(), session.client_info(tab->id()));
}

Result<std::shared_ptr<Session>> SessionManager::create(const std::string& user_id, const store::Project& project,
                                                        const engines::PooledEngine* pooled) {
    const auto kind = m_options.kinds.find(project.kind);
    if (kind == m_options.kinds.end()) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("no engine of kind '{}' is configured on this hub ([engines.{}] in the config)",
                                project.kind, project.kind));
    }
    const std::string id = new_uuid();
    const auto dir = m_options.sessions_dir / id;
    auto session =
        std::make_shared<Session>(id, user_id, project.id, project.kind, pooled ? pooled->workdir : dir / "work",
                                  pooled ? pooled->log_file : dir / "engine.log");
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
    Timers::TimerId grace_timer = 0;
    if (!session->begin_ending(grace_timer)) {
        return; // another finish came first
    }
    m_deps.timers.cancel(grace_timer);
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
    if (!save || !session->unsaved_changes()) {
        return after_save(std::string());
    }
    save_and_commit(session, "session end", std::move(after_save));
}

void SessionManager::stop_session(const std::shared_ptr<Session>& session, const std::string& why) {
    auto* self = this;
    {
        auto [process, link] = session->release_engine(); // its exit that follows is on purpose
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
        for (const auto& start : session->take_after_end()) {
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
    if (session->remove_client(tab->id()) > 0) {
        spdlog::info("session {} (project {}): client {} left", short_id(session->id), short_id(session->project_id),
                     tab->id());
        return announce_presence(session);
    }
    if (!session->begin_grace()) {
        return; // a client came back, or the session is already ending
    }
    spdlog::info("session {} (project {}): last tab left, ending in {} ms unless one returns", short_id(session->id),
                 short_id(session->project_id), m_options.grace.count());
    // A client that joins before the timer is stored cancels nothing; the timer then finds it and
    // does nothing either.
    session->set_grace_timer(m_deps.timers.schedule(m_options.grace, [weak_self, weak] {
        auto self = weak_self.lock();
        auto alive = weak.lock();
        if (!self || !alive || alive->has_clients()) {
            return;
        }
        self->finish(alive, "grace period over");
    }));
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
        if (auto process = session->release_engine().process) {
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
        const auto [engine_id, engine_pid] = session->engine_ids();
        const auto started =
            std::chrono::duration_cast<std::chrono::milliseconds>(session->started.time_since_epoch()).count();
        items.push_back({{"id", session->id},
                         {"project_id", session->project_id},
                         {"state", state_name(session->state())},
                         {"engine_kind", session->kind},
                         {"engine_id", engine_id},
                         {"engine_pid", engine_pid},
                         {"tabs", clients.size()},
                         {"clients", clients},
                         {"started_at_ms", started}});
    }
    return {{"items", items}};
}

} // namespace atelier::sessions
