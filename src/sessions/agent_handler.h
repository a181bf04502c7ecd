#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "sessions/session.h"
#include "sessions/session_client.h"

namespace atelier::sessions {

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
    /// The session is ending (before its final save): stop its turns.
    virtual void session_ending(const std::shared_ptr<Session>& session) = 0;
};

} // namespace atelier::sessions
