// SessionManager, the work on a live session: commands, saves and commits, what REST does to
// the project, and the agent hooks.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/backoff.h"
#include "core/ids.h"
#include "sessions/session_manager.h"
#include "sessions/session_text.h"

namespace atelier::sessions {

void SessionManager::command(const std::string& user_id, const std::string& session_id, const std::string& tool,
                             const nlohmann::json& arguments, const Tab& tab, const std::string& re,
                             const std::string& call_id) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    const auto link = ready_link(*session, tab, re);
    if (!link) {
        return;
    }
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    // The caller's call id (MCP tells its progress by it), else a new one.
    const std::string engine_call_id = call_id.empty() ? new_uuid() : call_id;
    track_call(session, engine_call_id, {{"request_id", re}, {"tool", tool}}, tab ? tab->id() : 0);
    link->call(
        tool, arguments,
        [weak_self, session, tab, re, tool, engine_call_id](Result<engines::ToolCallResult> result) {
            untrack_call(session, engine_call_id);
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
        },
        engine_call_id);
}

std::shared_ptr<engines::EngineLink> SessionManager::ready_link(Session& session, const Tab& tab,
                                                                const std::string& re) {
    std::shared_ptr<engines::EngineLink> link;
    {
        const std::lock_guard lock(session.mutex);
        link = session.link;
    }
    if (!link) {
        send_error(
            tab, Error{ErrorCode::Unavailable, "the engine is not ready yet; try again when the session is ready"}, re);
    }
    return link;
}

void SessionManager::cancel_command(const std::string& user_id, const std::string& session_id,
                                    const std::string& request_id, const Tab& tab, const std::string& re) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    std::string call_id;
    std::shared_ptr<engines::EngineLink> link;
    {
        const std::lock_guard lock(session->mutex);
        link = session->link;
        for (const auto& [id, owner] : session->calls) {
            // Request ids are chosen by each tab: only this tab's command of that id.
            if (owner.tab_id == tab->id() && owner.tags.value("request_id", "") == request_id) {
                call_id = id;
            }
        }
    }
    // The command's own command:result follows, with `cancelled`.
    send(tab, "ack", {{"cancelled", !call_id.empty() && link && link->cancel(call_id)}}, re);
}

bool SessionManager::cancel_call(const std::string& user_id, const std::string& session_id,
                                 const std::string& call_id) {
    auto session = find(user_id, session_id);
    if (!session) {
        return false;
    }
    std::shared_ptr<engines::EngineLink> link;
    {
        const std::lock_guard lock(session->mutex);
        link = session->link;
    }
    return link && link->cancel(call_id);
}

void SessionManager::track_call(const std::shared_ptr<Session>& session, const std::string& call_id,
                                nlohmann::json tags, std::uint64_t tab_id) {
    const std::lock_guard lock(session->mutex);
    session->calls[call_id] = Session::CallOwner{tab_id, std::move(tags)};
}

void SessionManager::untrack_call(const std::shared_ptr<Session>& session, const std::string& call_id) {
    const std::lock_guard lock(session->mutex);
    session->calls.erase(call_id);
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

void SessionManager::configure_viewport(const std::string& user_id, const std::string& session_id,
                                        const nlohmann::json& payload, const Tab& tab, const std::string& re) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    nlohmann::json params = nlohmann::json::object();
    for (const char* key : {"width", "height"}) {
        if (!payload.contains(key)) {
            continue;
        }
        if (!payload[key].is_number_integer() || payload[key].get<std::int64_t>() < 16 ||
            payload[key].get<std::int64_t>() > 4096) {
            return send_error(
                tab,
                Error{ErrorCode::InvalidArgument, fmt::format("'{}' must be a whole number of pixels, 16..4096", key)},
                re);
        }
        params[key] = payload[key];
    }
    for (const char* key : {"shading", "view", "codec"}) {
        if (payload.contains(key)) {
            params[key] = payload[key]; // the engine checks its own values
        }
    }
    const auto link = ready_link(*session, tab, re);
    if (!link) {
        return;
    }
    link->request("viewport/configure", params, std::chrono::seconds(10), [tab, re](Result<nlohmann::json> answer) {
        if (!answer) {
            return send_error(tab, answer.error(), re);
        }
        send(tab, "ack", answer->is_object() ? *answer : nlohmann::json::object(), re);
    });
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
