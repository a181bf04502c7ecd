// SPDX-License-Identifier: Apache-2.0
// SessionManager, the preview side (DESIGN §4): an engine that serves a live preview (Remotion's
// player page) says where with `preview/ready`; the hub proxies it under /preview/<session-id>/
// for the session's owner, and errors the page reports go to the agent for an automatic fix.

#include <spdlog/spdlog.h>

#include "sessions/session_manager.h"
#include "sessions/session_text.h"

namespace atelier::sessions {
namespace {

constexpr std::size_t kMaxErrorMessage = 4'000;
constexpr std::size_t kMaxErrorStack = 16'000;

std::string clipped(std::string text, std::size_t limit) {
    if (text.size() > limit) {
        text.resize(limit);
        text += "…";
    }
    return text;
}

/// Paths in the working tree as the project's own ("src/Intro.tsx"), as the file tools take them.
std::string relative_paths(std::string text, const std::filesystem::path& workdir) {
    const std::string prefix = workdir.string() + "/";
    for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
        text.erase(at, prefix.size());
    }
    return text;
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

} // namespace

void SessionManager::preview_ready(const std::shared_ptr<Session>& session, const nlohmann::json& params) {
    const auto* port = params.is_object() && params.contains("port") ? &params["port"] : nullptr;
    if (port == nullptr || !port->is_number_integer() || port->get<std::int64_t>() <= 0 ||
        port->get<std::int64_t>() > 65535) {
        spdlog::warn("session {} (project {}): ignored preview/ready without a valid port: {}", short_id(session->id),
                     short_id(session->project_id), params.dump());
        return;
    }
    session->set_preview_port(static_cast<std::uint16_t>(port->get<std::int64_t>()));
    spdlog::info("session {} (project {}): preview ready (port {})", short_id(session->id),
                 short_id(session->project_id), port->get<std::int64_t>());
    broadcast(session, "preview:ready", {{"url", preview_path(session->id)}});
}

void SessionManager::preview_error(const std::shared_ptr<Session>& session, const nlohmann::json& params) {
    nlohmann::json error = {
        {"message", clipped(relative_paths(params.value("message", std::string("preview error")), session->workdir),
                            kMaxErrorMessage)}};
    if (params.contains("stack") && params["stack"].is_string()) {
        error["stack"] = clipped(relative_paths(params["stack"].get<std::string>(), session->workdir), kMaxErrorStack);
    }
    broadcast(session, "preview:error", error);
    if (auto agent = agent_handler(); agent && !agent->unavailable()) {
        agent->preview_error(session, error);
    }
}

void SessionManager::report_preview_error(const std::string& user_id, const std::string& session_id,
                                          const nlohmann::json& payload, const Client& tab, const std::string& re) {
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, no_session(session_id), re);
    }
    if (!payload.contains("message") || !payload["message"].is_string() ||
        payload["message"].get<std::string>().empty()) {
        return send_error(tab, Error{ErrorCode::InvalidArgument, "preview:error needs a non-empty 'message' string"},
                          re);
    }
    nlohmann::json error = {{"message", clipped(relative_paths(payload["message"].get<std::string>(), session->workdir),
                                                kMaxErrorMessage)}};
    for (const char* key : {"stack", "composition"}) {
        if (payload.contains(key) && payload[key].is_string()) {
            error[key] = clipped(relative_paths(payload[key].get<std::string>(), session->workdir), kMaxErrorStack);
        }
    }
    spdlog::info("session {} (project {}): preview error: {}", short_id(session->id), short_id(session->project_id),
                 first_line(error["message"].get<std::string>()));
    auto agent = agent_handler();
    std::string fix = "no_model";
    if (agent && !agent->unavailable()) {
        fix = agent->preview_error(session, error);
    }
    send(tab, "ack", {{"fix", fix}}, re);
}

Result<SessionManager::PreviewAddress> SessionManager::preview_address(const std::string& user_id,
                                                                       const std::string& session_id) const {
    auto session = find(user_id, session_id);
    if (!session) {
        return fail(ErrorCode::NotFound, "no live session " + session_id + " (start or open the project first)");
    }
    const auto port = session->preview_port();
    if (port == 0) {
        return fail(ErrorCode::NotFound, "session " + session_id + " has no preview (its engine has not started one)");
    }
    PreviewAddress address{session->preview_host(), port};
    if (address.host.empty()) {
        return fail(ErrorCode::Unavailable,
                    "session " + session_id + "'s engine has no address yet (its Pod has no IP)");
    }
    return address;
}

} // namespace atelier::sessions
