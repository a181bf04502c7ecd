// SPDX-License-Identifier: Apache-2.0
// SessionManager, the work on a live session: commands, saves and commits, what REST does to
// the project, and the agent hooks.

#include <atomic>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/backoff.h"
#include "core/ids.h"
#include "sessions/session_manager.h"
#include "sessions/session_text.h"

namespace atelier::sessions {

void SessionManager::command(const std::string& user_id, const std::string& session_id, const std::string& tool,
                             const nlohmann::json& arguments, const Client& tab, const std::string& re,
                             const std::string& call_id, ActivityRecording recording) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    if (recording == ActivityRecording::Unrecorded) {
        session->activity.leave_out(re);
    }
    const auto link = ready_link(*session, tab, re);
    if (!link) {
        return;
    }
    // The caller's call id (MCP tells its progress by it), else a new one.
    const std::string engine_call_id = call_id.empty() ? new_uuid() : call_id;
    const nlohmann::json by = client_of(*session, tab);
    // Tracked from now: a command waiting for its turn can be cancelled too.
    track_call_of(session, engine_call_id, {{"request_id", re}, {"tool", tool}}, tab ? tab->id() : 0);
    // Changes run in one order; a read-only tool (a render, a screenshot, a listing) changes
    // nothing that a save could lose, so it runs at once, beside them. An unknown tool goes
    // straight to the link too, which answers it with the list of valid names.
    const auto declared = link->tools().find(tool);
    if (!declared || !declared->spec.mutates) {
        return run_command(session, tool, arguments, tab, re, engine_call_id, by, [] {});
    }
    enqueue(session, [weak_self = weak_from_this(), session, tool, arguments, tab, re, engine_call_id,
                      by](std::function<void()> next) {
        auto self = weak_self.lock();
        if (!self) {
            return next();
        }
        self->run_command(session, tool, arguments, tab, re, engine_call_id, by, std::move(next));
    });
}

void SessionManager::run_command(const std::shared_ptr<Session>& session, const std::string& tool,
                                 const nlohmann::json& arguments, const Client& tab, const std::string& re,
                                 const std::string& engine_call_id, const nlohmann::json& by,
                                 std::function<void()> next) {
    const bool cancelled = session->call_cancelled(engine_call_id);
    const auto link = session->link();
    if (cancelled || !link) {
        untrack_call_of(session, engine_call_id);
        nlohmann::json payload{{"ok", false}, {"tool", tool}, {"by", by}};
        payload["error"] = cancelled ? nlohmann::json{{"code", "cancelled"}, {"message", "cancelled before it ran"}}
                                     : nlohmann::json{{"code", "engine_lost"},
                                                      {"message", "the engine went away before the command ran"}};
        if (cancelled) {
            payload["cancelled"] = true;
        }
        session->activity.add(activity_entry(re.empty() ? engine_call_id : re, tool_label(tool, arguments), payload));
        send(tab, "command:result", payload, re);
        return next();
    }
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    const std::string label = tool_label(tool, arguments);
    link->call(
        tool, arguments,
        [weak_self, session, tab, re, tool, engine_call_id, by, label,
         next = std::move(next)](Result<engines::ToolCallResult> result) mutable {
            untrack_call_of(session, engine_call_id);
            auto self = weak_self.lock();
            if (!self) {
                return next();
            }
            if (!result) {
                nlohmann::json payload{
                    {"ok", false},
                    {"tool", tool},
                    {"error", {{"code", error_code_name(result.error().code)}, {"message", result.error().message}}}};
                if (!result.error().details.empty()) {
                    payload["error"]["details"] = nlohmann::json::parse(result.error().details, nullptr, false);
                }
                payload["by"] = by;
                session->activity.add(activity_entry(re.empty() ? engine_call_id : re, label, payload));
                send(tab, "command:result", payload, re);
                return next();
            }
            session->engine_worked(); // a later crash starts a fresh series of attempts
            nlohmann::json payload{{"ok", true},
                                   {"tool", tool},
                                   {"content", result->content},
                                   {"data", result->data},
                                   {"duration_ms", result->duration_ms},
                                   {"by", by}};
            if (!result->mutates) {
                session->activity.add(activity_entry(re.empty() ? engine_call_id : re, label, payload));
                send(tab, "command:result", payload, re);
                return next();
            }
            self->save_and_commit_now(
                session, label,
                [self, session, tab, re, payload, by, tool, label, engine_call_id,
                 next = std::move(next)](Result<std::string> revision) mutable {
                    if (revision) {
                        payload["version"] = *revision;
                    } else {
                        payload["save_error"] = revision.error().message;
                        payload["save_error_code"] = error_code_name(revision.error().code);
                    }
                    session->activity.add(activity_entry(re.empty() ? engine_call_id : re, label, payload));
                    send(tab, "command:result", payload, re);
                    // Every other client sees what this one changed (its own tab has the result).
                    nlohmann::json activity{{"tool", tool}, {"by", by}, {"ok", revision.has_value()}};
                    if (revision) {
                        activity["version"] = *revision;
                    }
                    self->broadcast_except(session, tab, "command:activity", activity);
                    if (auto agent = self->agent_handler(); agent && revision) {
                        agent->changed_by_other(session, by, label);
                    }
                    next();
                },
                by);
        },
        engine_call_id);
}

std::shared_ptr<engines::EngineLink> SessionManager::ready_link(Session& session, const Client& tab,
                                                                const std::string& re) {
    auto link = session.link();
    if (!link) {
        send_error(
            tab, Error{ErrorCode::Unavailable, "the engine is not ready yet; try again when the session is ready"}, re);
    }
    return link;
}

void SessionManager::cancel_command(const std::string& user_id, const std::string& session_id,
                                    const std::string& request_id, const Client& tab, const std::string& re) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    const std::string call_id = session->cancel_request(tab->id(), request_id);
    const auto link = session->link();
    // The command's own command:result follows, with `cancelled`.
    const bool running = !call_id.empty() && link && link->cancel(call_id);
    send(tab, "ack", {{"cancelled", running || !call_id.empty()}}, re);
}

bool SessionManager::cancel_call(const std::string& user_id, const std::string& session_id,
                                 const std::string& call_id) {
    auto session = find(user_id, session_id);
    if (!session) {
        return false;
    }
    const bool waiting = session->cancel_call(call_id); // still queued: it never runs
    const auto link = session->link();
    const bool running = link && link->cancel(call_id);
    return running || waiting;
}

void SessionManager::track_call_of(const std::shared_ptr<Session>& session, const std::string& call_id,
                                   nlohmann::json tags, std::uint64_t tab_id) {
    session->track_call(call_id, std::move(tags), tab_id);
}

void SessionManager::untrack_call_of(const std::shared_ptr<Session>& session, const std::string& call_id) {
    session->untrack_call(call_id);
}

void SessionManager::enqueue(const std::shared_ptr<Session>& session, Operation operation) {
    if (session->push_operation(std::move(operation))) {
        run_operations(session); // else the running one's `next` starts it
    }
}

void SessionManager::run_operations(const std::shared_ptr<Session>& session) {
    auto operation = session->next_operation();
    if (!operation) {
        return; // the queue is idle
    }
    // `next` may be called on this stack (an operation that ends at once) or later on another
    // thread; either way it runs the following operation exactly once.
    auto called = std::make_shared<std::atomic<bool>>(false);
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    (*operation)([weak_self, session, called] {
        if (called->exchange(true)) {
            return;
        }
        if (auto self = weak_self.lock()) {
            self->run_operations(session);
        }
    });
}

void SessionManager::save_and_commit(const std::shared_ptr<Session>& session, const std::string& message,
                                     std::function<void(Result<std::string>)> done, nlohmann::json by) {
    enqueue(session, [weak_self = weak_from_this(), session, message, done = std::move(done),
                      by = std::move(by)](std::function<void()> next) mutable {
        auto self = weak_self.lock();
        if (!self) {
            return next();
        }
        self->save_and_commit_now(
            session, message,
            [done = std::move(done), next = std::move(next)](Result<std::string> revision) {
                done(std::move(revision));
                next();
            },
            std::move(by));
    });
}

void SessionManager::save_and_commit_now(const std::shared_ptr<Session>& session, const std::string& message,
                                         std::function<void(Result<std::string>)> done, nlohmann::json by) {
    const auto link = session->link();
    if (!link) {
        return done(fail(ErrorCode::EngineLost, "no engine to save"));
    }
    // What this save covers: the mutating calls sent so far (see finish()).
    const auto covered = link->mutating_calls();
    done = [session, covered, done = std::move(done)](Result<std::string> revision) {
        if (revision) {
            session->saved(covered);
        }
        done(std::move(revision));
    };
    std::weak_ptr<SessionManager> weak_self = weak_from_this();
    link->request(
        "project/save", nlohmann::json::object(), m_options.save_timeout,
        [weak_self, session, message, by = std::move(by), done = std::move(done)](const Result<nlohmann::json>& saved) {
            auto self = weak_self.lock();
            if (!self) {
                return;
            }
            if (!saved) {
                spdlog::warn("session {}: save failed: {}", short_id(session->id), saved.error().message);
                return done(fail(saved.error()));
            }
            // A commit of a large tree takes seconds: on the worker, not this network thread.
            self->m_deps.workers.post(session->project_id,
                                      [self, session, message, by, done] { self->commit(session, message, by, done); });
        });
}

void SessionManager::commit(const std::shared_ptr<Session>& session, const std::string& message,
                            const nlohmann::json& by, const std::function<void(Result<std::string>)>& done) {
    auto user = m_deps.store.get_user(session->user_id);
    const store::CommitAuthor author{user ? user->name : std::string("atelier"), session->user_id + "@atelier.local"};
    const std::string base = session->base();
    Result<store::CommitOutcome> outcome = fail(ErrorCode::Internal, "not committed");
    Result<store::Version> recorded = fail(ErrorCode::Internal, "not recorded");
    {
        const auto lock = m_deps.locks.lock(session->project_id);
        auto repo = m_deps.repos.open(session->project_id);
        if (!repo) {
            return done(fail(repo.error()));
        }
        outcome = repo->commit(session->workdir, author, message, base);
        if (!outcome && outcome.error().code == ErrorCode::Conflict) {
            return done(fail(keep_conflict(session, *repo, author, message, by, outcome.error())));
        }
        if (!outcome) {
            return done(fail(outcome.error()));
        }
        if (outcome->created) {
            store::NewVersion version{outcome->revision, message, author.name, base};
            recorded = m_deps.store.add_version(session->user_id, session->project_id, version);
            if (!recorded && recorded.error().code == ErrorCode::Conflict && !base.empty()) {
                // The repository's branch moved from `base` under this project's lock, so it is the
                // truth; a version row that lags (a crash between a commit and its row) is repaired.
                spdlog::warn("session {} (project {}): version rows were behind the repository ({}); recording {}",
                             short_id(session->id), short_id(session->project_id), recorded.error().message,
                             outcome->revision.substr(0, 10));
                version.base.clear();
                recorded = m_deps.store.add_version(session->user_id, session->project_id, version);
            }
        }
    }
    session->set_base(outcome->revision);
    if (!outcome->created) {
        return done(outcome->revision);
    }
    keep_thumbnail(*session, outcome->revision);
    if (!recorded) {
        // The commit is in the repository (nothing is lost) but the versions list will not show it:
        // never silent.
        spdlog::error("session {} (project {}): version {} committed but not recorded: {}", short_id(session->id),
                      short_id(session->project_id), outcome->revision.substr(0, 10), recorded.error().message);
        return done(
            fail(recorded.error().code, fmt::format("the change was committed as {} but could not be recorded: {}",
                                                    outcome->revision.substr(0, 10), recorded.error().message)));
    }
    spdlog::info("session {} (project {}): version {} by {} ({})", short_id(session->id), short_id(session->project_id),
                 outcome->revision.substr(0, 10),
                 by.is_object() ? by.value("kind", "?") + " " + by.value("id", "") : std::string("the session"),
                 message);
    nlohmann::json created{{"rev", outcome->revision}, {"message", message}, {"author", author.name}};
    if (!by.is_null()) {
        created["by"] = by;
    }
    broadcast(session, "version:created", created);
    done(outcome->revision);
}

Error SessionManager::keep_conflict(const std::shared_ptr<Session>& session, store::ProjectRepo& repo,
                                    const store::CommitAuthor& author, const std::string& message,
                                    const nlohmann::json& by, const Error& conflict) {
    const std::string base = session->base();
    const int number = session->next_conflict();
    const std::string name = fmt::format("{}-{}", short_id(session->id), number);
    auto kept =
        repo.keep_aside(session->workdir, author, message + " (kept aside: the project had moved on)", base, name);
    const auto head = repo.resolve("HEAD");
    nlohmann::json payload{
        {"message", message}, {"detail", conflict.message}, {"base", base}, {"head", head ? *head : std::string()}};
    if (!by.is_null()) {
        payload["by"] = by;
    }
    std::string text;
    if (kept) {
        payload["kept"] = *kept;
        text = fmt::format("{}; the refused change is kept as version {} (restore it to bring it back)",
                           conflict.message, kept->substr(0, 10));
    } else {
        text = fmt::format("{}; keeping the refused change failed too: {}", conflict.message, kept.error().message);
    }
    spdlog::warn("session {} (project {}): conflict: {}", short_id(session->id), short_id(session->project_id), text);
    broadcast(session, "version:conflict", payload);
    // The engine still holds the refused scene: it reloads the project's current version.
    reopen_head(session, "a conflicting change was kept aside");
    return Error{ErrorCode::Conflict, text};
}

std::shared_ptr<engines::EngineLink> SessionManager::engine(const std::shared_ptr<Session>& session) const {
    return session->link();
}

bool SessionManager::accepting(const std::shared_ptr<Session>& session) const {
    return session->accepting();
}

void SessionManager::set_busy(const std::shared_ptr<Session>& session, bool busy) {
    const auto next = session->busy_transition(busy);
    if (!next) {
        return; // starting, reconnecting, lost or ending: that state says more
    }
    set_state(session, *next, busy ? "an agent turn is running" : "");
}

void SessionManager::replay(const std::shared_ptr<Session>& session, const Client& tab) {
    const auto scene = session->scene();
    const auto frame = session->frame();
    if (!scene.is_null()) {
        send(tab, "scene:updated", scene);
    }
    if (!frame.empty()) {
        tab->deliver_frame(frame);
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
    // The live engine still holds the old scene and would save it over the restore.
    for (const auto& session : sessions_of(user_id, project_id)) {
        reopen_head(session, "a version was restored");
    }
}

void SessionManager::reopen_head(const std::shared_ptr<Session>& session, const std::string& why) {
    // Check the current version out into the session's tree and have the engine open it: an
    // operation like a command, so it never lands between a command and that command's save.
    enqueue(session, [weak_self = weak_from_this(), session, why](std::function<void()> next) {
        auto manager = weak_self.lock();
        if (!manager) {
            return next();
        }
        // A checkout: on the worker.
        const bool posted = manager->m_deps.workers.post(session->project_id, [weak_self, session, why, next] {
            auto self = weak_self.lock();
            if (!self) {
                return next();
            }
            const auto checked_out = self->checkout_head(*session);
            const auto link = session->link();
            if (!checked_out || !link) {
                return next(); // a relaunch checks HEAD out anyway
            }
            spdlog::info("session {} (project {}): {}; reopening the current version in the engine",
                         short_id(session->id), short_id(session->project_id), why);
            link->request("project/open",
                          {{"workdir", session->workdir.string()},
                           {"session_id", session->id},
                           {"project_id", session->project_id}},
                          self->m_options.open_timeout,
                          [weak_self, session, link, next](const Result<nlohmann::json>& opened) {
                              auto again = weak_self.lock();
                              if (again && opened) {
                                  session->saved(link->mutating_calls()); // it matches HEAD now
                              } else if (again) {
                                  // An engine that cannot reopen is relaunched from HEAD.
                                  again->on_engine_gone(session, session->generation(),
                                                        "the engine could not open the current version: " +
                                                            opened.error().message);
                              }
                              next();
                          });
        });
        if (!posted) {
            next();
        }
    });
}

void SessionManager::project_deleted(const std::string& user_id, const std::string& project_id) {
    for (const auto& session : sessions_of(user_id, project_id)) {
        finish(session, "the project was deleted", false);
    }
}

void SessionManager::camera(const std::string& user_id, const std::string& session_id, const nlohmann::json& payload,
                            const Client& tab) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return;
    }
    if (const auto link = session->link()) {
        link->notify("viewport/camera", payload);
    }
}

void SessionManager::configure_viewport(const std::string& user_id, const std::string& session_id,
                                        const nlohmann::json& payload, const Client& tab, const std::string& re) {
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
                             const nlohmann::json& attachments, const Client& tab, const std::string& re) {
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

void SessionManager::cancel_turn(const std::string& user_id, const std::string& session_id, const Client& tab,
                                 const std::string& re) {
    auto session = find(user_id, session_for(tab, session_id));
    auto agent = agent_handler();
    if (!session || !agent) {
        return send(tab, "ack", {{"cancelled", false}}, re);
    }
    agent->cancel(session, tab, re);
}

void SessionManager::broadcast_except(const std::shared_ptr<Session>& session, const Client& except,
                                      const std::string& type, const nlohmann::json& payload) {
    for (const auto& client : session->clients(except)) {
        send(client, type, payload);
    }
}

void SessionManager::publish(const std::shared_ptr<Session>& session, const std::string& type,
                             const nlohmann::json& payload) {
    broadcast(session, type, payload);
}

void SessionManager::commit_turn(const std::shared_ptr<Session>& session, const std::string& message,
                                 std::function<void(Result<std::string>)> done) {
    save_and_commit(session, message, std::move(done), client_json(0, agent_client()));
}

} // namespace atelier::sessions
