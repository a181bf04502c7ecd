#include "sessions/session_manager.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <random>

#include "core/ids.h"
#include "protocol/browser_envelope.h"

namespace atelier::sessions {
namespace {

std::string short_id(const std::string& id) {
    return id.substr(0, 8);
}

/// A command for a session this user does not have (none yet, over, or another user's).
Error no_session(const std::string& session_id) {
    return Error{ErrorCode::NotFound,
                 session_id.empty() ? "send session:start first" : fmt::format("no session {}", session_id)};
}

std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds base, std::chrono::milliseconds cap) {
    const auto raw = base.count() * (1LL << std::min(attempt - 1, 20));
    const auto capped = std::min<long long>(raw, cap.count());
    // Full jitter on the upper half: relaunches of many sessions after one hub hiccup spread out.
    thread_local std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<long long> jitter(capped / 2, capped);
    return std::chrono::milliseconds(jitter(random));
}

} // namespace

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

// Forwards what one engine does to the tabs of its session.
class SessionObserver final : public engines::EngineObserver {
public:
    SessionObserver(
        std::weak_ptr<SessionManager> manager, std::weak_ptr<Session> session, std::uint64_t generation,
        std::function<void(const std::shared_ptr<Session>&, const std::string&, const nlohmann::json&)> send,
        std::function<void(const std::shared_ptr<Session>&, const std::string&)> frame,
        std::function<void(const std::shared_ptr<Session>&, std::uint64_t, const std::string&)> gone)
        : m_session(std::move(session)), m_generation(generation), m_send(std::move(send)), m_frame(std::move(frame)),
          m_gone(std::move(gone)), m_manager(std::move(manager)) {}

    void on_registry(const std::shared_ptr<const registry::RegistrySnapshot>& snapshot) override {
        if (auto session = alive()) {
            if (m_ready && m_ready(session)) {
                return; // the first registry of this engine went out inside session:ready
            }
            nlohmann::json tools = nlohmann::json::array();
            for (const auto& tool : snapshot->tools) {
                tools.push_back(tool->to_json());
            }
            m_send(session, "registry:updated", {{"version", snapshot->version}, {"tools", tools}});
        }
    }
    void on_notification(const std::string& method, const nlohmann::json& params) override {
        auto session = alive();
        if (!session) {
            return;
        }
        if (method == "scene/changed") {
            {
                const std::lock_guard lock(session->mutex);
                session->last_scene = params;
            }
            m_send(session, "scene:updated", params);
        } else if (method == "render/progress") {
            m_send(session, "render:progress", params);
        } else if (method == "preview/error") {
            m_send(session, "preview:error", params);
        }
    }
    void on_frame(const std::string& frame) override {
        if (auto session = alive()) {
            m_frame(session, frame);
        }
    }
    void on_disconnected(const Error& reason) override {
        if (auto session = alive()) {
            m_gone(session, m_generation, reason.message);
        }
    }

private:
    std::shared_ptr<Session> alive() const { return m_manager.expired() ? nullptr : m_session.lock(); }

    std::weak_ptr<Session> m_session;
    std::uint64_t m_generation;
    std::function<void(const std::shared_ptr<Session>&, const std::string&, const nlohmann::json&)> m_send;
    std::function<void(const std::shared_ptr<Session>&, const std::string&)> m_frame;
    std::function<void(const std::shared_ptr<Session>&, std::uint64_t, const std::string&)> m_gone;
    std::weak_ptr<SessionManager> m_manager;

public:
    /// Sends session:ready if it has not gone out yet for this engine; true when it did now.
    std::function<bool(const std::shared_ptr<Session>&)> m_ready;
};

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
    {
        const std::lock_guard lock(session->mutex);
        link = session->link;
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
            {"preview", nullptr}};
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

EngineLaunch SessionManager::launch_request(const std::string& kind, const std::string& owner,
                                            const std::filesystem::path& workdir,
                                            const std::filesystem::path& log_file) {
    const auto& config = m_options.kinds.at(kind);
    EngineLaunch request;
    request.kind = kind;
    request.command = config.command;
    request.sandbox = config.sandbox;
    request.workdir = workdir;
    request.log_file = log_file;
    std::string hub_url;
    {
        const std::lock_guard lock(m_mutex);
        hub_url = m_options.hub_url;
    }
    request.env = {{"ATELIER_HUB_URL", hub_url},
                   {"ATELIER_ENGINE_TOKEN", m_deps.tokens.issue({kind, owner})},
                   {"ATELIER_SESSION_ID", owner},
                   {"ATELIER_WORKDIR", workdir.string()}};
    return request;
}

Result<void> SessionManager::launch(const std::shared_ptr<Session>& session) {
    auto process = m_deps.start_engine(launch_request(session->kind, session->id, session->workdir, session->log_file));
    if (!process) {
        return fail(process.error());
    }
    std::uint64_t generation = 0;
    RunningEngine* running = process->get();
    {
        const std::lock_guard lock(session->mutex);
        generation = ++session->generation;
        session->process = std::move(*process);
    }
    watch_exit(session, *running, generation);
    return {};
}

void SessionManager::watch_exit(const std::shared_ptr<Session>& session, RunningEngine& process,
                                std::uint64_t generation) {
    // Outside the session's lock: the callback runs at once when the process has already exited.
    process.on_exit(
        [weak_self = weak_from_this(), weak = std::weak_ptr<Session>(session), generation](const std::string& status) {
            auto self = weak_self.lock();
            auto alive = weak.lock();
            if (self && alive) {
                self->on_engine_gone(alive, generation, "the engine process exited (" + status + ")");
            }
        });
}

void SessionManager::adopt(const std::shared_ptr<Session>& session, PooledEngine pooled) {
    const auto link = pooled.link;
    spdlog::info("session {} (project {}): took warm engine {} (pid {})", short_id(session->id),
                 short_id(session->project_id), short_id(link->info().id), pooled.process->pid());
    std::uint64_t generation = 0;
    RunningEngine* running = pooled.process.get();
    {
        const std::lock_guard lock(session->mutex);
        generation = ++session->generation;
        session->process = std::move(pooled.process);
        session->opening = true; // session:ready waits for project/open
    }
    watch_exit(session, *running, generation);
    // Bound before the open, so the scene and frame the engine sends on opening reach the tabs.
    bind_link(session, link);
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    link->request(
        "project/open",
        {{"workdir", session->workdir.string()}, {"session_id", session->id}, {"project_id", session->project_id}},
        m_options.open_timeout, [weak_self, session, generation](const Result<nlohmann::json>& opened) {
            auto self = weak_self.lock();
            if (!self) {
                return;
            }
            {
                const std::lock_guard lock(session->mutex);
                session->opening = false;
            }
            if (!opened) {
                // Relaunched cold from the same tree, like any lost engine.
                return self->on_engine_gone(session, generation,
                                            "the warm engine could not open the project: " + opened.error().message);
            }
            self->announce_ready(session);
        });
}

void SessionManager::on_engine(const std::shared_ptr<engines::EngineLink>& link) {
    if (m_pool && m_pool->on_connected(link)) {
        return;
    }
    std::shared_ptr<Session> session;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_sessions.find(link->info().session_id);
        if (it == m_sessions.end()) {
            return; // an engine not started for a session (tests, third parties)
        }
        session = it->second;
    }
    bind_link(session, link);
}

void SessionManager::bind_link(const std::shared_ptr<Session>& session,
                               const std::shared_ptr<engines::EngineLink>& link) {
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    auto send_fn = [weak_self](const std::shared_ptr<Session>& s, const std::string& type, const nlohmann::json& p) {
        if (auto self = weak_self.lock()) {
            self->broadcast(s, type, p);
        }
    };
    auto frame_fn = [weak_self](const std::shared_ptr<Session>& s, const std::string& frame) {
        if (auto self = weak_self.lock()) {
            self->broadcast_frame(s, frame);
        }
    };
    auto gone_fn = [weak_self](const std::shared_ptr<Session>& s, std::uint64_t generation, const std::string& why) {
        if (auto self = weak_self.lock()) {
            self->on_engine_gone(s, generation, why);
        }
    };
    std::uint64_t generation = 0;
    std::shared_ptr<engines::EngineObserver> added;
    {
        const std::lock_guard lock(session->mutex);
        generation = session->generation;
        session->link = link;
        session->ready_sent = false;
        auto observer = std::make_shared<SessionObserver>(weak_self, session, generation, send_fn, frame_fn, gone_fn);
        // session:ready carries the tools, so it waits for the engine's first tools/update (which
        // engines send right after their hello).
        observer->m_ready = [weak_self](const std::shared_ptr<Session>& s) {
            auto self = weak_self.lock();
            return self && self->announce_ready(s);
        };
        session->observer = observer;
        added = observer;
    }
    link->add_observer(added);
    if (link->tools().version() > 0) {
        announce_ready(session);
    }
}

bool SessionManager::announce_ready(const std::shared_ptr<Session>& session) {
    std::string engine_id;
    {
        const std::lock_guard lock(session->mutex);
        if (session->ready_sent || !session->link || session->opening) {
            return false;
        }
        session->ready_sent = true;
        session->state = session->tabs.empty() ? SessionState::Detached : SessionState::Ready;
        engine_id = session->link->info().id;
    }
    (void)m_deps.store.update_session(session->user_id, session->id, store::SessionUpdate{"ready", session->kind});
    spdlog::info("session {} (project {}): engine {} ready", short_id(session->id), short_id(session->project_id),
                 short_id(engine_id));
    broadcast(session, "session:ready", ready_payload(session));
    return true;
}

void SessionManager::on_engine_gone(const std::shared_ptr<Session>& session, std::uint64_t generation,
                                    const std::string& why) {
    int attempt = 0;
    std::unique_ptr<RunningEngine> old_process;
    {
        const std::lock_guard lock(session->mutex);
        if (generation != session->generation || session->state == SessionState::Ending ||
            session->state == SessionState::Ended || session->state == SessionState::Lost) {
            return; // already handled (exit and disconnect both report), or on purpose
        }
        ++session->generation; // later reports about this engine are stale
        if (session->link && session->observer) {
            session->link->remove_observer(session->observer.get());
        }
        session->link.reset();
        attempt = ++session->attempt;
        old_process = std::move(session->process);
    }
    // Stopping waits for the process: on the worker, never on the network or monitor thread.
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    m_deps.worker.post(
        [weak_self, session, attempt, why, old = std::shared_ptr<RunningEngine>(std::move(old_process))] {
            if (auto self = weak_self.lock()) {
                self->retry_or_lose(session, attempt, why, old.get());
            }
        });
}

void SessionManager::retry_or_lose(const std::shared_ptr<Session>& session, int attempt, const std::string& why,
                                   RunningEngine* old_process) {
    std::string tail = old_process ? old_process->log_tail() : "";
    if (old_process) {
        old_process->stop(m_options.stop_grace);
    }
    if (attempt > m_options.max_attempts) {
        return set_state(session, SessionState::Lost,
                         fmt::format("the engine failed {} time{}; last: {}{}{}", m_options.max_attempts,
                                     m_options.max_attempts == 1 ? "" : "s", why,
                                     tail.empty() ? "" : "; engine log: ", tail));
    }
    set_state(session, SessionState::Reconnecting, why);
    const auto delay = backoff(attempt, m_options.backoff_base, m_options.backoff_cap);
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    std::weak_ptr<Session> weak = session;
    m_deps.timers.schedule(delay, [weak_self, weak] {
        auto self = weak_self.lock();
        auto alive = weak.lock();
        if (self && alive) {
            self->m_deps.worker.post([self, alive] { self->relaunch(alive); });
        }
    });
}

Result<void> SessionManager::checkout_head(const Session& session) {
    const std::lock_guard writes(m_deps.repo_writes);
    auto repo = m_deps.repos.open(session.project_id);
    if (!repo) {
        return fail(repo.error());
    }
    return repo->checkout("HEAD", session.workdir);
}

void SessionManager::relaunch(const std::shared_ptr<Session>& session) {
    std::uint64_t generation = 0;
    {
        const std::lock_guard lock(session->mutex);
        if (session->state != SessionState::Reconnecting) {
            return;
        }
        generation = session->generation;
    }
    // Restore from the last committed version: uncommitted changes died with the engine.
    const auto restored = checkout_head(*session);
    if (!restored) {
        return set_state(session, SessionState::Lost, "cannot restore the working tree: " + restored.error().message);
    }
    if (auto launched = launch(session); !launched) {
        on_engine_gone(session, generation, launched.error().message);
    }
}

void SessionManager::command(const std::string& user_id, const std::string& session_id, const std::string& tool,
                             const nlohmann::json& arguments, const Tab& tab, const std::string& re) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    std::shared_ptr<engines::EngineLink> link;
    {
        const std::lock_guard lock(session->mutex);
        link = session->link;
    }
    if (!link) {
        return send_error(
            tab, Error{ErrorCode::Unavailable, "the engine is not ready yet; try again when the session is ready"}, re);
    }
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    link->call(tool, arguments, [weak_self, session, tab, re, tool](Result<engines::ToolCallResult> result) {
        auto self = weak_self.lock();
        if (!self) {
            return;
        }
        if (!result) {
            nlohmann::json payload{
                {"ok", false},
                {"tool", tool},
                {"error", {{"code", error_code_name(result.error().code)}, {"message", result.error().message}}}};
            if (!result.error().details.empty()) {
                payload["error"]["details"] = nlohmann::json::parse(result.error().details, nullptr, false);
            }
            return send(tab, "command:result", payload, re);
        }
        {
            const std::lock_guard lock(session->mutex);
            session->attempt = 0; // the engine works: a later crash starts a fresh series of attempts
        }
        nlohmann::json payload{{"ok", true},
                               {"tool", tool},
                               {"content", result->content},
                               {"data", result->data},
                               {"duration_ms", result->duration_ms}};
        if (!result->mutates) {
            return send(tab, "command:result", payload, re);
        }
        self->save_and_commit(session, "tool " + tool,
                              [self, session, tab, re, payload](Result<std::string> revision) mutable {
                                  if (revision) {
                                      payload["version"] = *revision;
                                  } else {
                                      payload["save_error"] = revision.error().message;
                                  }
                                  send(tab, "command:result", payload, re);
                              });
    });
}

void SessionManager::save_and_commit(const std::shared_ptr<Session>& session, const std::string& message,
                                     std::function<void(Result<std::string>)> done) {
    std::shared_ptr<engines::EngineLink> link;
    {
        const std::lock_guard lock(session->mutex);
        link = session->link;
    }
    if (!link) {
        return done(fail(ErrorCode::EngineLost, "no engine to save"));
    }
    // What this save covers: the mutating calls sent so far (see finish()).
    const auto covered = link->mutating_calls();
    done = [session, covered, done = std::move(done)](Result<std::string> revision) {
        if (revision) {
            const std::lock_guard lock(session->mutex);
            session->saved_calls = std::max(session->saved_calls, covered);
        }
        done(std::move(revision));
    };
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    link->request("project/save", nlohmann::json::object(), m_options.save_timeout,
                  [weak_self, session, message, done = std::move(done)](const Result<nlohmann::json>& saved) {
                      auto self = weak_self.lock();
                      if (!self) {
                          return;
                      }
                      if (!saved) {
                          spdlog::warn("session {}: save failed: {}", short_id(session->id), saved.error().message);
                          return done(fail(saved.error()));
                      }
                      // A commit of a large tree takes seconds: on the worker, not this network thread.
                      self->m_deps.worker.post(
                          [self, session, message, done] { self->commit(session, message, done); });
                  });
}

void SessionManager::commit(const std::shared_ptr<Session>& session, const std::string& message,
                            const std::function<void(Result<std::string>)>& done) {
    auto user = m_deps.store.get_user(session->user_id);
    const store::CommitAuthor author{user ? user->name : std::string("atelier"), session->user_id + "@atelier.local"};
    Result<store::CommitOutcome> outcome = fail(ErrorCode::Internal, "not committed");
    {
        const std::lock_guard writes(m_deps.repo_writes);
        auto repo = m_deps.repos.open(session->project_id);
        outcome =
            repo ? repo->commit(session->workdir, author, message) : Result<store::CommitOutcome>(fail(repo.error()));
    }
    if (!outcome) {
        return done(fail(outcome.error()));
    }
    if (outcome->created) {
        (void)m_deps.store.add_version(session->user_id, session->project_id,
                                       store::NewVersion{outcome->revision, message, author.name});
        spdlog::info("session {} (project {}): version {} ({})", short_id(session->id), short_id(session->project_id),
                     outcome->revision.substr(0, 10), message);
        broadcast(session, "version:created",
                  {{"rev", outcome->revision}, {"message", message}, {"author", author.name}});
    }
    done(outcome->revision);
}

void SessionManager::set_busy(const std::shared_ptr<Session>& session, bool busy) {
    SessionState next = SessionState::Busy;
    {
        const std::lock_guard lock(session->mutex);
        const auto state = session->state;
        if (busy ? (state != SessionState::Ready && state != SessionState::Detached) : state != SessionState::Busy) {
            return; // starting, reconnecting, lost or ending: that state says more
        }
        if (!busy) {
            next = session->tabs.empty() ? SessionState::Detached : SessionState::Ready;
        }
    }
    set_state(session, next, busy ? "an agent turn is running" : "");
}

void SessionManager::replay(const std::shared_ptr<Session>& session, const Tab& tab) {
    nlohmann::json scene;
    std::string frame;
    {
        const std::lock_guard lock(session->mutex);
        scene = session->last_scene;
        frame = session->last_frame;
    }
    if (!scene.is_null()) {
        send(tab, "scene:updated", scene);
    }
    if (!frame.empty()) {
        tab->send_binary(frame);
    }
}

std::vector<std::shared_ptr<Session>> SessionManager::sessions_of(const std::string& user_id,
                                                                  const std::string& project_id) const {
    std::vector<std::shared_ptr<Session>> found;
    const std::lock_guard lock(m_mutex);
    for (const auto& [id, session] : m_sessions) {
        if (session->user_id == user_id && session->project_id == project_id) {
            found.push_back(session);
        }
    }
    return found;
}

void SessionManager::project_restored(const std::string& user_id, const std::string& project_id) {
    for (const auto& session : sessions_of(user_id, project_id)) {
        // The live engine still holds the old scene and would save it over the restore: check the
        // restored version out into its tree and have it open that (on the worker: a checkout).
        m_deps.worker.post([weak_self = weak_from_this(), session] {
            auto self = weak_self.lock();
            if (!self) {
                return;
            }
            const auto restored = self->checkout_head(*session);
            std::shared_ptr<engines::EngineLink> link;
            {
                const std::lock_guard lock(session->mutex);
                link = session->link;
            }
            if (!restored || !link) {
                return; // a relaunch checks HEAD out anyway
            }
            spdlog::info("session {} (project {}): a version was restored; reopening it in the engine",
                         short_id(session->id), short_id(session->project_id));
            link->request(
                "project/open",
                {{"workdir", session->workdir.string()},
                 {"session_id", session->id},
                 {"project_id", session->project_id}},
                self->m_options.open_timeout, [weak_self, session, link](const Result<nlohmann::json>& opened) {
                    auto again = weak_self.lock();
                    if (!again) {
                        return;
                    }
                    if (opened) {
                        const std::lock_guard lock(session->mutex);
                        session->saved_calls = link->mutating_calls(); // it matches HEAD now
                        return;
                    }
                    // An engine that cannot reopen is relaunched from HEAD, the restore.
                    std::uint64_t generation = 0;
                    {
                        const std::lock_guard lock(session->mutex);
                        generation = session->generation;
                    }
                    again->on_engine_gone(session, generation,
                                          "the engine could not open the restored version: " + opened.error().message);
                });
        });
    }
}

void SessionManager::project_deleted(const std::string& user_id, const std::string& project_id) {
    for (const auto& session : sessions_of(user_id, project_id)) {
        finish(session, "the project was deleted", false);
    }
}

void SessionManager::camera(const std::string& user_id, const std::string& session_id, const nlohmann::json& payload,
                            const Tab& tab) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return;
    }
    std::shared_ptr<engines::EngineLink> link;
    {
        const std::lock_guard lock(session->mutex);
        link = session->link;
    }
    if (link) {
        link->notify("viewport/camera", payload);
    }
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
        self->set_state(session, SessionState::Ended, why);
        const std::lock_guard lock(self->m_mutex);
        self->m_sessions.erase(session->id);
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

void SessionManager::set_agent(std::shared_ptr<AgentHandler> agent) {
    const std::lock_guard lock(m_mutex);
    m_agent = std::move(agent);
}

std::shared_ptr<AgentHandler> SessionManager::agent_handler() const {
    const std::lock_guard lock(m_mutex);
    return m_agent;
}

void SessionManager::message(const std::string& user_id, const std::string& session_id, const std::string& text,
                             const nlohmann::json& attachments, const Tab& tab, const std::string& re) {
    auto agent = agent_handler();
    if (!agent) {
        return send_error(tab, Error{ErrorCode::Unavailable, "this hub runs without an agent"}, re);
    }
    if (auto why = agent->unavailable()) {
        return send_error(tab, *why, re);
    }
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    agent->message(session, text, attachments, tab, re);
}

void SessionManager::cancel_turn(const std::string& user_id, const std::string& session_id, const Tab& tab,
                                 const std::string& re) {
    auto session = find(user_id, session_for(tab, session_id));
    auto agent = agent_handler();
    if (!session || !agent) {
        return send(tab, "ack", {{"cancelled", false}}, re);
    }
    agent->cancel(session, tab, re);
}

void SessionManager::publish(const std::shared_ptr<Session>& session, const std::string& type,
                             const nlohmann::json& payload) {
    broadcast(session, type, payload);
}

void SessionManager::commit_turn(const std::shared_ptr<Session>& session, const std::string& message,
                                 std::function<void(Result<std::string>)> done) {
    save_and_commit(session, message, std::move(done));
}

} // namespace atelier::sessions
