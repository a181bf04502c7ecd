// SPDX-License-Identifier: Apache-2.0
#include "mcp/session_seat.h"

#include <utility>
#include <vector>

namespace atelier::mcp {
namespace {

sessions::SessionEvent error_event(const std::string& re, const std::string& message) {
    return {"error", {{"code", "unavailable"}, {"message", message}}, re};
}

} // namespace

SessionSeat::SessionSeat() : m_id(sessions::next_client_id()) {}

void SessionSeat::deliver(const sessions::SessionEvent& event) {
    const std::string& type = event.type;
    const std::string& re = event.re;
    const nlohmann::json& payload = event.payload;
    Reply reply;
    Progress progress;
    std::function<void()> tools_changed;
    {
        const std::lock_guard lock(m_mutex);
        if (payload.is_object() && payload.contains("session_id") && payload["session_id"].is_string()) {
            m_session_id = payload["session_id"].get<std::string>();
        }
        bool ready_event = false;
        if (type == "session:ready") {
            m_ready = true;
            m_project_id = payload.value("project_id", m_project_id);
            m_tools = payload.value("tools", nlohmann::json::array());
            ready_event = true;
            tools_changed = m_tools_changed;
        } else if (type == "registry:updated") {
            m_tools = payload.value("tools", nlohmann::json::array());
            tools_changed = m_tools_changed;
        } else if (type == "render:progress" && payload.is_object() && payload.contains("call_id") &&
                   payload["call_id"].is_string()) {
            if (auto found = m_progress.find(payload["call_id"].get<std::string>()); found != m_progress.end()) {
                progress = found->second;
            }
        } else if (type == "session:status") {
            const std::string state = payload.value("state", "");
            if (state == "lost" || state == "ended" || state == "ending") {
                if (m_ready && state != "ending") {
                    tools_changed = m_tools_changed; // the engine's tools are gone
                }
                m_ready = false;
                ready_event = state != "ending";
            }
        } else if (type == "error" && m_ready_waiter && !re.empty() && m_ready_waiter->first == re) {
            ready_event = true;
        }
        if (ready_event && m_ready_waiter) {
            reply = std::move(m_ready_waiter->second);
            m_ready_waiter.reset();
        } else if ((type == "command:result" || type == "error") && !re.empty()) {
            if (auto found = m_replies.find(re); found != m_replies.end()) {
                reply = std::move(found->second);
                m_replies.erase(found);
            }
        }
    }
    // The tools change first: an answer that goes out now (open_project's) then carries the
    // notifications/tools/list_changed that the change causes.
    if (tools_changed) {
        tools_changed();
    }
    if (reply) {
        reply(event);
    }
    if (progress) {
        progress(payload);
    }
}

void SessionSeat::deliver_frame(const std::string& frame) {
    const std::lock_guard lock(m_mutex);
    m_frame = frame;
}

void SessionSeat::expect_reply(const std::string& re, Reply reply) {
    const std::lock_guard lock(m_mutex);
    m_replies[re] = std::move(reply);
}

void SessionSeat::expect_ready(const std::string& re, Reply reply) {
    const std::lock_guard lock(m_mutex);
    m_ready_waiter = std::make_pair(re, std::move(reply));
}

void SessionSeat::fail_pending(const std::string& why) {
    std::vector<std::pair<std::string, Reply>> pending;
    {
        const std::lock_guard lock(m_mutex);
        for (auto& [re, reply] : m_replies) {
            pending.emplace_back(re, std::move(reply));
        }
        m_replies.clear();
        if (m_ready_waiter) {
            pending.push_back(std::move(*m_ready_waiter));
            m_ready_waiter.reset();
        }
        m_ready = false;
        m_progress.clear();
    }
    for (auto& [re, reply] : pending) {
        reply(error_event(re, why));
    }
}

void SessionSeat::watch_progress(const std::string& call_id, Progress progress) {
    const std::lock_guard lock(m_mutex);
    m_progress[call_id] = std::move(progress);
}

void SessionSeat::forget_progress(const std::string& call_id) {
    const std::lock_guard lock(m_mutex);
    m_progress.erase(call_id);
}

void SessionSeat::on_tools_changed(std::function<void()> callback) {
    const std::lock_guard lock(m_mutex);
    m_tools_changed = std::move(callback);
}

std::string SessionSeat::session_id() const {
    const std::lock_guard lock(m_mutex);
    return m_session_id;
}

std::string SessionSeat::project_id() const {
    const std::lock_guard lock(m_mutex);
    return m_project_id;
}

bool SessionSeat::expecting_ready() const {
    const std::lock_guard lock(m_mutex);
    return m_ready_waiter.has_value();
}

bool SessionSeat::ready() const {
    const std::lock_guard lock(m_mutex);
    return m_ready;
}

nlohmann::json SessionSeat::tools() const {
    const std::lock_guard lock(m_mutex);
    return m_tools;
}

std::optional<std::string> SessionSeat::latest_frame() const {
    const std::lock_guard lock(m_mutex);
    return m_frame;
}

std::string SessionSeat::next_request_id() {
    const std::lock_guard lock(m_mutex);
    return "mcp-" + std::to_string(++m_next_request);
}

sessions::ClientInfo mcp_client(const std::string& client) {
    const auto space = client.rfind(' ');
    if (space == std::string::npos) {
        return {sessions::ClientKind::Mcp, client, {}};
    }
    return {sessions::ClientKind::Mcp, client.substr(0, space), client.substr(space + 1)};
}

} // namespace atelier::mcp
