// SPDX-License-Identifier: Apache-2.0
// SessionManager, the WebRTC side of the viewport (docs/viewport.md): a tab's signalling goes to
// ViewportRtc with the session it is about and that session's latest frame.

#include "sessions/session_manager.h"

namespace atelier::sessions {

void SessionManager::set_rtc(std::shared_ptr<ViewportRtc> rtc) {
    m_rtc = std::move(rtc);
}

void SessionManager::webrtc(const std::string& user_id, const std::string& session_id, const std::string& type,
                            const nlohmann::json& payload, const Client& tab, const std::string& re) {
    if (!m_rtc) {
        return send(tab, "viewport:webrtc_state",
                    {{"state", "unavailable"}, {"reason", "this hub streams the viewport as JPEG frames only"}}, re);
    }
    auto session = find(user_id, session_for(tab, session_id));
    if (!session) {
        return send_error(tab, Error{ErrorCode::NotFound, "no live session " + session_id + " for this tab"}, re);
    }
    m_rtc->handle(type, payload, tab, session->id, session->frame(), re);
}

} // namespace atelier::sessions
