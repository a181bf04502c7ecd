// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"

namespace atelier::sessions {

struct Session;

/// Which session is each project's live one (DESIGN §5: one live session per project). A tab,
/// an MCP client and the agent that open a project all reach the session the directory names,
/// so a project never has two engines writing it.
///
/// It is an interface so that a cluster can keep the rule across hubs (a lease per project in
/// PostgreSQL); `LocalSessionDirectory` keeps it in this process.
///
/// Thread-safety: every method may be called from any thread.
class SessionDirectory {
public:
    virtual ~SessionDirectory() = default;

    struct Claim {
        std::shared_ptr<Session> session;
        /// True when the session was already live (the caller joins it); false when `create`
        /// made it (the caller starts its engine).
        bool joined = false;
    };
    using Create = std::function<Result<std::shared_ptr<Session>>()>;

    /// The project's live session; when there is none, `create` makes one and it becomes the
    /// live session. Of concurrent claims of one project exactly one runs `create`; the others
    /// wait for it and join what it made (or, when it failed, the next one tries). `create` runs
    /// without the directory's lock held, so claims of other projects never wait for it.
    [[nodiscard]] virtual Result<Claim> claim(const std::string& project_id, const Create& create) = 0;

    /// The project's live session, or null.
    [[nodiscard]] virtual std::shared_ptr<Session> live(const std::string& project_id) const = 0;

    /// `session_id` is no longer `project_id`'s live session (it ended or was lost); the next
    /// claim makes a new one. Nothing happens when another session is the live one by now.
    virtual void release(const std::string& project_id, const std::string& session_id) = 0;
};

/// The directory of one hub: a map in memory.
[[nodiscard]] std::unique_ptr<SessionDirectory> make_local_session_directory();

} // namespace atelier::sessions
