// SPDX-License-Identifier: Apache-2.0
// SessionManager, the engine side: a session's engine launched (through EngineSupervisor) or
// adopted from the warm pool, its link bound, and what a lost engine means for the session. When
// and whether to relaunch is the supervisor's call (engines/engine_supervisor.h).

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sessions/session_manager.h"
#include "sessions/session_text.h"

namespace atelier::sessions {

// Forwards what one engine does to the tabs of its session (a friend of SessionManager).
class SessionObserver final : public engines::EngineObserver {
public:
    SessionObserver(std::weak_ptr<SessionManager> manager, std::weak_ptr<Session> session, std::uint64_t generation)
        : m_manager(std::move(manager)), m_session(std::move(session)), m_generation(generation) {}

    void on_registry(const std::shared_ptr<const registry::RegistrySnapshot>& snapshot) override {
        auto [self, session] = alive();
        if (!session) {
            return;
        }
        // session:ready carries the tools, so it waits for the engine's first tools/update.
        if (self->announce_ready(session)) {
            return;
        }
        nlohmann::json tools = nlohmann::json::array();
        for (const auto& tool : snapshot->tools) {
            tools.push_back(tool->to_json());
        }
        self->broadcast(session, "registry:updated", {{"version", snapshot->version}, {"tools", tools}});
    }
    void on_notification(const std::string& method, const nlohmann::json& params) override {
        auto [self, session] = alive();
        if (!session) {
            return;
        }
        if (method == "scene/changed") {
            session->set_scene(params);
            self->broadcast(session, "scene:updated", params);
        } else if (method == "render/progress") {
            // Which command or agent tool call this render belongs to, so a tab can match it.
            nlohmann::json progress = params;
            if (params.is_object() && params.contains("call_id") && params["call_id"].is_string()) {
                if (const auto tags = session->call_tags(params["call_id"].get<std::string>()); tags.is_object()) {
                    progress.update(tags);
                }
            }
            self->broadcast(session, "render:progress", progress);
        } else if (method == "preview/ready") {
            self->preview_ready(session, params);
        } else if (method == "preview/error") {
            self->preview_error(session, params);
        }
    }
    void on_frame(const std::string& frame) override {
        if (auto [self, session] = alive(); session) {
            self->broadcast_frame(session, frame);
        }
    }
    void on_disconnected(const Error& reason) override {
        if (auto [self, session] = alive(); session) {
            self->on_engine_gone(session, m_generation, reason.message);
        }
    }

private:
    /// The manager and the session, both still there; else {nullptr, nullptr}.
    std::pair<std::shared_ptr<SessionManager>, std::shared_ptr<Session>> alive() const {
        auto self = m_manager.lock();
        auto session = self ? m_session.lock() : nullptr;
        return session ? std::make_pair(std::move(self), std::move(session))
                       : std::make_pair(std::shared_ptr<SessionManager>(), std::shared_ptr<Session>());
    }

    std::weak_ptr<SessionManager> m_manager;
    std::weak_ptr<Session> m_session;
    std::uint64_t m_generation;
};

Result<void> SessionManager::launch(const std::shared_ptr<Session>& session) {
    auto process =
        m_supervisor->launch(session->kind, session->id, session->workdir, session->log_file, session->project_id);
    if (!process) {
        return fail(process.error());
    }
    engines::RunningEngine* running = process->get();
    const auto generation = session->install_process(std::move(*process), EngineOrigin::Launched);
    watch_exit(session, *running, generation);
    return {};
}

void SessionManager::watch_exit(const std::shared_ptr<Session>& session, engines::RunningEngine& process,
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
    // What the launcher sees of the engine (a Pod's phase): told to the tabs as the session's status.
    process.on_status(
        [weak_self = weak_from_this(), weak = std::weak_ptr<Session>(session), generation](const std::string& status) {
            auto self = weak_self.lock();
            auto alive = weak.lock();
            if (!self || !alive) {
                return;
            }
            if (alive->generation() != generation) {
                return; // an engine this session replaced since
            }
            const SessionState state = alive->state();
            spdlog::info("session {} (project {}): {}", short_id(alive->id), short_id(alive->project_id), status);
            self->broadcast(alive, "session:status", {{"state", state_name(state)}, {"detail", status}});
        });
}

void SessionManager::adopt(const std::shared_ptr<Session>& session, engines::PooledEngine pooled) {
    const auto link = pooled.link;
    spdlog::info("session {} (project {}): took warm engine {} (pid {})", short_id(session->id),
                 short_id(session->project_id), short_id(link->info().id), pooled.process->pid());
    engines::RunningEngine* running = pooled.process.get();
    // session:ready waits for project/open.
    const auto generation = session->install_process(std::move(pooled.process), EngineOrigin::Pooled);
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
            session->opened();
            if (!opened) {
                // Relaunched cold from the same tree, like any lost engine.
                return self->on_engine_gone(session, generation,
                                            "the warm engine could not open the project: " + opened.error().message);
            }
            self->announce_ready(session);
        });
}

void SessionManager::on_engine(const std::shared_ptr<engines::EngineLink>& link) {
    if (m_supervisor->on_connected(link)) {
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
    const auto added = session->bind(link, [this, &session](std::uint64_t generation) {
        return std::make_shared<SessionObserver>(weak_from_this(), session, generation);
    });
    link->add_observer(added);
    if (link->tools().version() > 0) {
        announce_ready(session);
    }
}

bool SessionManager::announce_ready(const std::shared_ptr<Session>& session) {
    const auto link = session->mark_ready();
    if (!link) {
        return false; // announced already, or not connected, or still opening the project
    }
    const std::string engine_id = link->info().id;
    (void)m_deps.store.update_session(session->user_id, session->id, store::SessionUpdate{"ready", session->kind});
    spdlog::info("session {} (project {}): engine {} ready", short_id(session->id), short_id(session->project_id),
                 short_id(engine_id));
    broadcast(session, "session:ready", ready_payload(session));
    return true;
}

void SessionManager::on_engine_gone(const std::shared_ptr<Session>& session, std::uint64_t generation,
                                    const std::string& why) {
    auto lost = session->lose_engine(generation);
    if (!lost) {
        return; // already handled (exit and disconnect both report), or on purpose
    }
    if (lost->link && lost->observer) {
        lost->link->remove_observer(lost->observer.get());
    }
    const int attempt = lost->attempt;
    // Stopping waits for the process: on the worker, never on the network or monitor thread.
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    m_deps.workers.post(session->project_id, [weak_self, session, attempt, why,
                                              old = std::shared_ptr<engines::RunningEngine>(std::move(lost->process))] {
        if (auto self = weak_self.lock()) {
            self->retry_or_lose(session, attempt, why, old.get());
        }
    });
}

void SessionManager::retry_or_lose(const std::shared_ptr<Session>& session, int attempt, const std::string& why,
                                   engines::RunningEngine* old_process) {
    const auto verdict = m_supervisor->engine_lost(attempt, old_process);
    if (verdict.give_up) {
        keep_renders(*session);
        const int max_attempts = m_supervisor->max_attempts();
        return set_state(session, SessionState::Lost,
                         fmt::format("the engine failed {} time{}; last: {}{}{}", max_attempts,
                                     max_attempts == 1 ? "" : "s", why,
                                     verdict.log_tail.empty() ? "" : "; engine log: ", verdict.log_tail));
    }
    set_state(session, SessionState::Reconnecting, why);
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    std::weak_ptr<Session> weak = session;
    m_supervisor->relaunch_after(verdict.delay, [weak_self, weak] {
        auto self = weak_self.lock();
        auto alive = weak.lock();
        if (self && alive) {
            self->m_deps.workers.post(alive->project_id, [self, alive] { self->relaunch(alive); });
        }
    });
}

Result<void> SessionManager::checkout_head(Session& session) {
    const auto lock = m_deps.locks.lock(session.project_id);
    auto repo = m_deps.repos.open(session.project_id);
    if (!repo) {
        return fail(repo.error());
    }
    const std::string head = ATELIER_TRY(repo->resolve("HEAD"));
    ATELIER_TRY(repo->checkout(head, session.workdir));
    session.set_base(head); // what later commits are made against
    return {};
}

void SessionManager::relaunch(const std::shared_ptr<Session>& session) {
    const auto awaiting = session->awaiting_relaunch();
    if (!awaiting) {
        return; // ended, or lost, meanwhile
    }
    const std::uint64_t generation = *awaiting;
    // Restore from the last committed version: uncommitted changes died with the engine.
    const auto restored = checkout_head(*session);
    if (!restored) {
        return set_state(session, SessionState::Lost, "cannot restore the working tree: " + restored.error().message);
    }
    if (auto launched = launch(session); !launched) {
        on_engine_gone(session, generation, launched.error().message);
    }
}

} // namespace atelier::sessions
