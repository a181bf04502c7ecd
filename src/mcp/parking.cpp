// SPDX-License-Identifier: Apache-2.0
// Parking (DESIGN §5): an MCP client that holds a project open but has gone quiet — no stream
// open, no call in flight, no request for the session grace period — leaves its hub session, so
// a one-shot CLI run does not keep an engine for the MCP idle timeout. Its tool list stays as it
// was, and its next call re-opens the project transparently: the same hub session while that is
// still in its grace period, else a new one from the newest version (warm from the pool).

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mcp/mcp_server.h"
#include "mcp/session_seat.h"

namespace atelier::mcp {

using json = nlohmann::json;

std::chrono::milliseconds McpServer::park_interval(std::chrono::milliseconds park_after) {
    return std::clamp(park_after / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(5'000));
}

void McpServer::touch(Session& session) {
    const std::lock_guard lock(m_mutex);
    session.last_used = std::chrono::steady_clock::now();
}

bool McpServer::in_flight(Session& session) {
    std::shared_ptr<SessionSeat> tab;
    {
        const std::lock_guard lock(session.mutex);
        if (!session.calls.empty() || !session.reopening.empty()) {
            return true;
        }
        tab = session.tab;
    }
    return tab && !tab->ready() && tab->expecting_ready();
}

void McpServer::park_idle() {
    std::vector<std::shared_ptr<Session>> quiet;
    {
        const std::lock_guard lock(m_mutex);
        const auto now = std::chrono::steady_clock::now();
        for (const auto& [id, session] : m_by_id) {
            // A client with a stream open is listening (session era: its GET stream; stateless:
            // a subscriptions/listen of its user), not gone.
            const bool listening =
                session->stateless ? m_listeners.count(session->subject) > 0 : session->events->open();
            if (!listening && now - session->last_used >= m_park_after) {
                quiet.push_back(session);
            }
        }
    }
    for (const auto& session : quiet) {
        park(*session);
    }
    m_timers.schedule(park_interval(m_park_after), [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
            self->park_idle();
        }
    });
}

void McpServer::park(Session& session) {
    std::shared_ptr<SessionSeat> tab;
    std::string project;
    {
        const std::lock_guard lock(session.mutex);
        // A call in flight (an engine call, an open still starting) keeps the client seated.
        if (!session.tab || !session.calls.empty() || !session.reopening.empty() || !session.tab->ready()) {
            return;
        }
        tab = std::move(session.tab);
        session.tab.reset();
        session.parked_project = tab->project_id();
        session.parked_tools = tab->tools();
        project = session.parked_project; // for the log line, read under the lock
    }
    spdlog::info("mcp {} {}: parked (no call and no stream for {} ms), client {}; project {} left to hub session {}",
                 session.stateless ? "seat" : "session", session.id.substr(0, 8), m_park_after.count(), session.client,
                 project.substr(0, 8), tab->session_id().substr(0, 8));
    m_sessions->detach(tab);
}

json McpServer::tools_of(Session* session) {
    if (!session) {
        return json::array();
    }
    std::shared_ptr<SessionSeat> tab;
    {
        const std::lock_guard lock(session->mutex);
        if (!session->tab) {
            return session->parked_tools.is_array() ? session->parked_tools : json::array();
        }
        tab = session->tab;
    }
    return tab->tools();
}

std::string McpServer::project_of(Session* session) {
    if (!session) {
        return {};
    }
    std::shared_ptr<SessionSeat> tab;
    {
        const std::lock_guard lock(session->mutex);
        if (!session->tab) {
            return session->parked_project;
        }
        tab = session->tab;
    }
    return tab->project_id();
}

void McpServer::unparked(const Caller& caller, std::function<void(const std::string& failure)> then) {
    const auto session = caller.session;
    std::string project;
    json expected_tools;
    std::shared_ptr<SessionSeat> tab;
    {
        const std::lock_guard lock(session->mutex);
        if (!session->reopening.empty()) {
            session->reopening.push_back(std::move(then)); // another call is re-opening it already
            return;
        }
        if (session->tab || session->parked_project.empty()) {
            tab = nullptr;
        } else {
            project = session->parked_project;
            expected_tools = std::move(session->parked_tools);
            session->parked_project.clear();
            session->parked_tools = json();
            session->reopening.push_back(std::move(then));
            tab = std::make_shared<SessionSeat>();
            session->tab = tab;
        }
    }
    if (!tab) {
        return then({}); // not parked
    }
    // The seat's tools change when it becomes ready; when they are the ones the client saw before
    // it was parked, that is no change for the client (no list_changed, no held answer).
    tab->on_tools_changed([weak_self = weak_from_this(), weak_session = std::weak_ptr<Session>(session),
                           weak_tab = std::weak_ptr<SessionSeat>(tab), expected = std::move(expected_tools),
                           first = std::make_shared<bool>(true)] {
        auto self = weak_self.lock();
        auto alive = weak_session.lock();
        auto seat = weak_tab.lock();
        if (!self || !alive) {
            return;
        }
        const bool unchanged = *first && seat && seat->tools() == expected;
        *first = false;
        if (!unchanged) {
            self->tools_changed(*alive);
        }
    });
    const std::string re = tab->next_request_id();
    tab->expect_ready(re, [weak_self = weak_from_this(), session, project](const sessions::SessionEvent& event) {
        std::string failure;
        if (event.type != "session:ready") {
            failure = fmt::format("Cannot re-open project {}: {}", project,
                                  event.payload.value("message", event.payload.value("detail", "it did not start")));
        }
        std::vector<std::function<void(const std::string&)>> waiting;
        {
            const std::lock_guard lock(session->mutex);
            waiting = std::move(session->reopening);
            session->reopening.clear();
        }
        spdlog::info("mcp {} {}: {} project {}{}", session->stateless ? "seat" : "session", session->id.substr(0, 8),
                     failure.empty() ? "re-opened" : "could not re-open", project.substr(0, 8),
                     failure.empty()
                         ? fmt::format(" in hub session {}", event.payload.value("session_id", "").substr(0, 8))
                         : ": " + failure);
        if (auto self = weak_self.lock()) {
            self->touch(*session);
        }
        for (auto& next : waiting) {
            next(failure);
        }
    });
    m_sessions->start(session->subject, project, {}, tab, re, mcp_client(session->client));
}

} // namespace atelier::mcp
