// SPDX-License-Identifier: Apache-2.0
// The helper's router: the hub's messages go to the sessions' pipelines (session_pipeline.cpp) and
// the viewers' webrtcbin branches (webrtc_viewer.cpp); the Streamer owns both and picks the codec.

#include "rtc/rtc_streamer.h"

#include "rtc/session_pipeline.h"
#include "rtc/webrtc_viewer.h"

#include <gst/gst.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include <spdlog/spdlog.h>

namespace atelier::rtc {

Streamer::Streamer(StreamerOptions options, Send send) : m_options(std::move(options)), m_send(std::move(send)) {
    set_signalling_sink(&m_send);
}

Streamer::~Streamer() {
    // Viewers first (their tee pads), then the pipelines, while the callbacks can still reach the hub.
    m_viewers.clear();
    m_sessions.clear();
    set_signalling_sink(nullptr);
}

std::vector<std::string> Streamer::codecs() const {
    std::vector<std::string> found;
    for (const auto& [codec, encoder, payloader] :
         {std::tuple{"H264", "x264enc", "rtph264pay"}, std::tuple{"VP8", "vp8enc", "rtpvp8pay"}}) {
        GstElementFactory* a = gst_element_factory_find(encoder);
        GstElementFactory* b = gst_element_factory_find(payloader);
        if (a != nullptr && b != nullptr) {
            found.emplace_back(codec);
        }
        if (a != nullptr) {
            gst_object_unref(a);
        }
        if (b != nullptr) {
            gst_object_unref(b);
        }
    }
    return found;
}

void Streamer::handle(const WireMessage& message) {
    const auto op = message.op();
    const auto& header = message.header;
    const auto viewer = header.value("viewer", std::string());
    const auto session_id = header.value("session", std::string());
    if (op == "frame") {
        if (session_id.empty() || message.body.empty()) {
            return error(viewer, "frame: needs 'session' and a JPEG body");
        }
        return frame(session_id, header.value("seq", 0U), message.body);
    }
    if (op == "start") {
        if (viewer.empty() || session_id.empty()) {
            return error(viewer, "start: needs 'viewer' and 'session'");
        }
        return start_viewer(header);
    }
    if (op == "answer") {
        if (viewer.empty() || !header.contains("sdp") || !header["sdp"].is_string()) {
            return error(viewer, "answer: needs 'viewer' and an 'sdp' string");
        }
        return answer(viewer, header["sdp"].get<std::string>());
    }
    if (op == "ice") {
        return remote_candidate(viewer, header);
    }
    if (op == "stop") {
        return stop_viewer(viewer, "stopped");
    }
    if (op == "end") {
        return end_session(session_id);
    }
    error(viewer, "unknown op '" + op + "' (known: frame, start, answer, ice, stop, end)");
}

void Streamer::error(const std::string& viewer_id, const std::string& message) {
    spdlog::warn("{}", message);
    m_send({{"op", "error"}, {"viewer", viewer_id}, {"message", message}});
}

SessionPipeline& Streamer::session(const std::string& session_id) {
    auto& slot = m_sessions[session_id];
    if (!slot) {
        slot = std::make_unique<SessionPipeline>(session_id,
                                                 m_options.frame_counter ? FrameCounter::Drawn : FrameCounter::Off);
    }
    return *slot;
}

void Streamer::frame(const std::string& session_id, std::uint32_t seq, const std::string& jpeg) {
    session(session_id).take_frame(seq, jpeg);
}

void Streamer::repeat_idle_frames() {
    const gint64 now = g_get_monotonic_time();
    for (auto& [id, s] : m_sessions) {
        s->repeat_if_idle(now);
    }
}

void Streamer::start_viewer(const nlohmann::json& header) {
    const auto viewer_id = header["viewer"].get<std::string>();
    const auto session_id = header["session"].get<std::string>();
    if (m_viewers.contains(viewer_id)) {
        stop_viewer(viewer_id, "restarted");
    }
    // The browser's preference order; our default H.264 first (hardware decoders everywhere).
    std::vector<std::string> wanted = {"H264", "VP8"};
    if (header.contains("codecs") && header["codecs"].is_array() && !header["codecs"].empty()) {
        wanted.clear();
        for (const auto& codec : header["codecs"]) {
            if (codec.is_string()) {
                wanted.push_back(codec.get<std::string>());
            }
        }
    }
    const auto available = codecs();
    std::string codec;
    for (const auto& candidate : wanted) {
        if (std::find(available.begin(), available.end(), candidate) != available.end()) {
            codec = candidate;
            break;
        }
    }
    if (codec.empty()) {
        m_send({{"op", "state"},
                {"viewer", viewer_id},
                {"state", "failed"},
                {"reason", "no common codec (the helper has: " + nlohmann::json(available).dump() + ")"}});
        return;
    }
    auto& s = session(session_id);
    GstElement* rtp_tee = s.rtp_tee(codec, m_options.bitrate_kbps);
    if (rtp_tee == nullptr) {
        m_send({{"op", "state"},
                {"viewer", viewer_id},
                {"state", "failed"},
                {"reason", "the " + codec + " encoder could not be made"}});
        return;
    }
    auto viewer = WebrtcViewer::create(viewer_id, session_id, codec, m_options.ice_servers, m_options.local_addresses);
    if (viewer == nullptr) {
        m_send({{"op", "state"}, {"viewer", viewer_id}, {"state", "failed"}, {"reason", "webrtcbin is missing"}});
        return;
    }
    viewer->attach(s.pipeline(), rtp_tee);
    m_viewers[viewer_id] = std::move(viewer);
    spdlog::info("viewer {} of session {}: {}", viewer_id, session_id, codec);
    s.viewer_joined(codec);
}

void Streamer::stop_viewer(const std::string& viewer_id, const std::string& reason) {
    auto found = m_viewers.find(viewer_id);
    if (found == m_viewers.end()) {
        return;
    }
    auto viewer = std::move(found->second);
    m_viewers.erase(found);
    auto& s = *m_sessions.at(viewer->session());
    s.viewer_left();
    viewer->detach(s.pipeline());
    // What the session's pipeline did so far, for comparison with the browser's getStats().
    spdlog::info("viewer {} of session {}: {} (frames: {})", viewer_id, viewer->session(), reason,
                 s.frame_counts(viewer->codec()));
    m_send({{"op", "state"}, {"viewer", viewer_id}, {"state", "closed"}, {"reason", reason}});
}

void Streamer::end_session(const std::string& session_id) {
    std::vector<std::string> viewers;
    for (const auto& [id, viewer] : m_viewers) {
        if (viewer->session() == session_id) {
            viewers.push_back(id);
        }
    }
    for (const auto& id : viewers) {
        stop_viewer(id, "the session ended");
    }
    m_sessions.erase(session_id);
}

void Streamer::answer(const std::string& viewer_id, const std::string& sdp) {
    auto found = m_viewers.find(viewer_id);
    if (found == m_viewers.end()) {
        return error(viewer_id, "answer: no viewer " + viewer_id);
    }
    if (auto done = found->second->answer(sdp); !done) {
        return error(viewer_id, done.error().message);
    }
}

void Streamer::remote_candidate(const std::string& viewer_id, const nlohmann::json& header) {
    auto found = m_viewers.find(viewer_id);
    if (found == m_viewers.end()) {
        return error(viewer_id, "ice: no viewer " + viewer_id);
    }
    const auto candidate = header.value("candidate", std::string());
    if (candidate.empty()) {
        return; // end of candidates
    }
    found->second->add_remote_candidate(candidate, header.value("sdpMLineIndex", 0U));
}

std::vector<std::string> local_ipv4_addresses() {
    std::vector<std::string> found{"127.0.0.1"};
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) {
        return found;
    }
    for (auto* entry = list; entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET || (entry->ifa_flags & IFF_UP) == 0) {
            continue;
        }
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof text);
        if (std::find(found.begin(), found.end(), text) == found.end()) {
            found.emplace_back(text);
        }
    }
    freeifaddrs(list);
    return found;
}

} // namespace atelier::rtc
