#include "mcp/virtual_tab.h"

#include <atomic>
#include <utility>
#include <vector>

namespace atelier::mcp {
namespace {

std::uint64_t next_tab_id() {
    static std::atomic<std::uint64_t> counter{0};
    return (std::uint64_t{1} << 63U) | ++counter;
}

nlohmann::json error_envelope(const std::string& re, const std::string& message) {
    return {{"type", "error"}, {"re", re}, {"payload", {{"code", "unavailable"}, {"message", message}}}};
}

} // namespace

VirtualTab::VirtualTab(net::HttpRequest request) : m_id(next_tab_id()), m_request(std::move(request)) {}

void VirtualTab::send_text(std::string message) {
    auto envelope = nlohmann::json::parse(message, nullptr, false);
    if (!envelope.is_object()) {
        return;
    }
    const std::string type = envelope.value("type", "");
    const std::string re =
        envelope.contains("re") && envelope["re"].is_string() ? envelope["re"].get<std::string>() : "";
    const nlohmann::json payload = envelope.value("payload", nlohmann::json::object());
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
        reply(envelope);
    }
    if (progress) {
        progress(payload);
    }
}

void VirtualTab::send_binary(std::string message) {
    const std::lock_guard lock(m_mutex);
    m_frame = std::move(message);
}

void VirtualTab::close(std::uint16_t /*code*/, std::string reason) {
    fail_pending(reason.empty() ? "the session closed this client" : reason);
}

void VirtualTab::expect_reply(const std::string& re, Reply reply) {
    const std::lock_guard lock(m_mutex);
    m_replies[re] = std::move(reply);
}

void VirtualTab::expect_ready(const std::string& re, Reply reply) {
    const std::lock_guard lock(m_mutex);
    m_ready_waiter = std::make_pair(re, std::move(reply));
}

void VirtualTab::fail_pending(const std::string& why) {
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
        reply(error_envelope(re, why));
    }
}

void VirtualTab::watch_progress(const std::string& call_id, Progress progress) {
    const std::lock_guard lock(m_mutex);
    m_progress[call_id] = std::move(progress);
}

void VirtualTab::forget_progress(const std::string& call_id) {
    const std::lock_guard lock(m_mutex);
    m_progress.erase(call_id);
}

void VirtualTab::on_tools_changed(std::function<void()> callback) {
    const std::lock_guard lock(m_mutex);
    m_tools_changed = std::move(callback);
}

std::string VirtualTab::session_id() const {
    const std::lock_guard lock(m_mutex);
    return m_session_id;
}

std::string VirtualTab::project_id() const {
    const std::lock_guard lock(m_mutex);
    return m_project_id;
}

bool VirtualTab::ready() const {
    const std::lock_guard lock(m_mutex);
    return m_ready;
}

nlohmann::json VirtualTab::tools() const {
    const std::lock_guard lock(m_mutex);
    return m_tools;
}

std::optional<std::string> VirtualTab::latest_frame() const {
    const std::lock_guard lock(m_mutex);
    return m_frame;
}

std::string VirtualTab::next_request_id() {
    const std::lock_guard lock(m_mutex);
    return "mcp-" + std::to_string(++m_next_request);
}

} // namespace atelier::mcp
