// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rtc/rtc_wire.h"

namespace atelier::rtc {

class SessionPipeline;
class WebrtcViewer;

/// What the helper was told on its command line (docs/viewport.md).
struct StreamerOptions {
    /// Browser-style ICE server URLs ("stun:host:port", "turn:user:password@host:port").
    std::vector<std::string> ice_servers;
    /// Addresses libnice gathers host candidates on. libnice skips loopback unless told, and naming
    /// any address stops its own discovery, so the helper passes every IPv4 address it finds plus
    /// 127.0.0.1 (local_ipv4_addresses()).
    std::vector<std::string> local_addresses;
    /// The encoders' bitrate ceiling at 1280×720, kbit/s; smaller frames get a share by pixel count
    /// (encoder_settings.h). A ceiling, not a target: the encoders run at constant quality.
    std::int64_t bitrate_kbps = 1500;
    /// Test mode: the frame's sequence number drawn as 16 blocks in the top-left corner.
    bool frame_counter = false;
};

/// The GStreamer side of the helper: one pipeline per session (session_pipeline.h: appsrc JPEG →
/// jpegdec → a tee of raw frames → one encoder per codec → a tee of RTP), one webrtcbin per viewer
/// on the codec's tee (webrtc_viewer.h). This class routes the hub's messages to them and owns both.
/// Every member function runs on the GLib main loop's thread; `send` may be called from any thread
/// (webrtcbin's callbacks run on its own threads) and must be thread-safe. One Streamer at a time.
class Streamer {
public:
    using Send = std::function<void(const nlohmann::json& header)>;
    Streamer(StreamerOptions options, Send send);
    ~Streamer();
    Streamer(const Streamer&) = delete;
    Streamer& operator=(const Streamer&) = delete;

    /// One message from the hub. Unknown or malformed ones are answered with {"op":"error"}.
    void handle(const WireMessage& message);
    /// Re-sends the last frame of sessions with viewers that got none lately: the engine renders
    /// only when something changes, and a video track needs frames (and key frames) to show one.
    void repeat_idle_frames();
    /// "H264" and/or "VP8", as far as the encoders are installed.
    [[nodiscard]] std::vector<std::string> codecs() const;

private:
    void frame(const std::string& session_id, std::uint32_t seq, const std::string& jpeg);
    void start_viewer(const nlohmann::json& header);
    void stop_viewer(const std::string& viewer_id, const std::string& reason);
    void end_session(const std::string& session_id);
    void answer(const std::string& viewer_id, const std::string& sdp);
    void remote_candidate(const std::string& viewer_id, const nlohmann::json& header);
    SessionPipeline& session(const std::string& session_id);
    void error(const std::string& viewer_id, const std::string& message);

    StreamerOptions m_options;
    Send m_send;
    std::map<std::string, std::unique_ptr<SessionPipeline>> m_sessions;
    std::map<std::string, std::unique_ptr<WebrtcViewer>> m_viewers;
};

/// Every IPv4 address of the machine's interfaces that are up, loopback included.
[[nodiscard]] std::vector<std::string> local_ipv4_addresses();

} // namespace atelier::rtc
