// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/result.h"
#include "engines/engine_link.h"
#include "sessions/session.h"
#include "sessions/session_client.h"

namespace atelier::sessions {

/// What the agent may do with a session (SessionManager implements it): the agent reaches
/// sessions only through this and the session's immutable ids, never the concrete manager or a
/// session's lock. Thread-safe.
class AgentHost {
public:
    virtual ~AgentHost() = default;

    /// `{type, payload}` to every client of the session (the turn's events).
    virtual void publish(const std::shared_ptr<Session>& session, const std::string& type,
                         const nlohmann::json& payload) = 0;
    /// `busy` while a turn runs (shown to every client), then back to ready/detached.
    virtual void set_busy(const std::shared_ptr<Session>& session, bool busy) = 0;
    /// An operation in the session's order: project/save, commit with `message`, record the
    /// version `by` the agent; `done` gets the revision (or the conflict or failure).
    virtual void commit_turn(const std::shared_ptr<Session>& session, const std::string& message,
                             std::function<void(Result<std::string>)> done) = 0;
    /// The session's engine, or null while it has none (starting, relaunching).
    [[nodiscard]] virtual std::shared_ptr<engines::EngineLink>
    engine(const std::shared_ptr<Session>& session) const = 0;
    /// Whether the session takes new turns: false once it is ending or ended.
    [[nodiscard]] virtual bool accepting(const std::shared_ptr<Session>& session) const = 0;
    /// Names who asked for engine call `call_id` (its `render:progress` carries `tags`) until
    /// untrack_call.
    virtual void track_call(const std::shared_ptr<Session>& session, const std::string& call_id,
                            nlohmann::json tags) = 0;
    virtual void untrack_call(const std::shared_ptr<Session>& session, const std::string& call_id) = 0;
};

/// What sessions hand to the agent (src/agent implements it; sessions never include agent
/// headers). Calls arrive on network threads and must not block: a turn runs elsewhere.
class AgentHandler {
public:
    virtual ~AgentHandler() = default;
    using Client = std::shared_ptr<SessionClient>;

    /// Why turns cannot run at all (no model configured), or nullopt when they can. Checked
    /// before anything else, so the answer is the same with or without a session.
    [[nodiscard]] virtual std::optional<Error> unavailable() const = 0;
    /// `message:send` for `session` (it exists and is the user's). Replies and turn events go to
    /// the tab (`re`) and to every tab of the session.
    virtual void message(const std::shared_ptr<Session>& session, const std::string& text,
                         const nlohmann::json& attachments, const Client& tab, const std::string& re) = 0;
    /// `agent:cancel`: stop the running turn at once and drop the queued ones.
    virtual void cancel(const std::shared_ptr<Session>& session, const Client& tab, const std::string& re) = 0;
    /// The session's preview reported `error` ({message, stack?, composition?}). The agent may
    /// start an automatic fix turn; returns what it did: "started", "queued" (after the running
    /// turn), "limit" (this user turn's automatic fixes are spent) or "duplicate".
    virtual std::string preview_error(const std::shared_ptr<Session>& session, const nlohmann::json& error) = 0;
    /// Another client changed the project (`by`: client_json of a tab or an MCP client; `label`:
    /// what it ran, e.g. "create_object name=cube", as in its version's message). A running turn
    /// tells the model before its next step.
    virtual void changed_by_other(const std::shared_ptr<Session>& session, const nlohmann::json& by,
                                  const std::string& label) = 0;
    /// The session is ending (before its final save): stop its turns.
    virtual void session_ending(const std::shared_ptr<Session>& session) = 0;
};

} // namespace atelier::sessions
