// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <nlohmann/json.hpp>

#include "core/result.h"

namespace atelier::rtc {

/// Where webrtcbin's callbacks (offer, local ICE candidates, connection state) send their messages
/// to the hub. They run on webrtcbin's threads, so the function must be thread-safe.
using SignallingSink = std::function<void(const nlohmann::json& header)>;

/// Sets (or, with null, clears) the sink every viewer's callbacks use. The sink must outlive every
/// webrtcbin made meanwhile, or be cleared first; callbacks while it is clear are dropped.
void set_signalling_sink(const SignallingSink* sink);

/// One viewer's branch on its session's pipeline: RTP tee pad → leaky queue → webrtcbin, one
/// send-only track. The offer is made once the stream's caps reach webrtcbin; the answer and the
/// browser's ICE candidates come from the hub.
///
/// Lifetime: `create` makes the elements (not yet in a bin); `attach` adds them to the pipeline and
/// links them; `detach` takes them out once no buffer passes, later, on the main loop, and is the
/// way a linked viewer ends (the object may be destroyed right after). Every member function runs
/// on the GLib main loop's thread.
class WebrtcViewer {
public:
    /// Null when webrtcbin is missing. `ice_servers` are browser-style URLs; `local_addresses` are
    /// given to libnice for host candidates (StreamerOptions).
    [[nodiscard]] static std::unique_ptr<WebrtcViewer> create(const std::string& id, const std::string& session,
                                                              const std::string& codec,
                                                              const std::vector<std::string>& ice_servers,
                                                              const std::vector<std::string>& local_addresses);
    ~WebrtcViewer();
    WebrtcViewer(const WebrtcViewer&) = delete;
    WebrtcViewer& operator=(const WebrtcViewer&) = delete;

    /// Adds the branch to `pipeline`, sets the transceiver's codec, and links it to `rtp_tee` once it
    /// plays. Blocks up to a second for webrtcbin to reach the pipeline's state.
    void attach(GstElement* pipeline, GstElement* rtp_tee);
    /// Unlinks the branch from its RTP tee when the tee's pad is idle, then removes it from
    /// `pipeline` on the main loop. Only after attach(), once.
    void detach(GstElement* pipeline);
    /// The browser's answer (SDP text); fails when it does not parse.
    [[nodiscard]] Result<void> answer(const std::string& sdp);
    /// One of the browser's ICE candidates (not the empty end-of-candidates one).
    void add_remote_candidate(const std::string& candidate, unsigned mline);

    [[nodiscard]] const std::string& session() const { return m_session; }
    [[nodiscard]] const std::string& codec() const { return m_codec; }

private:
    WebrtcViewer() = default;

    std::string m_id;
    std::string m_session;
    std::string m_codec;
    GstElement* m_queue = nullptr;
    GstElement* m_webrtc = nullptr;
    GstElement* m_rtp_tee = nullptr; ///< the session's tee this branch hangs off (owned by the pipeline)
    GstPad* m_tee_pad = nullptr;     ///< owned until detach() hands it to the removal
};

/// "stun:h:p" → "stun://h:p"; "turn:user:pass@h:p" → "turn://user:pass@h:p" (GStreamer's forms).
[[nodiscard]] std::string gstreamer_ice_url(const std::string& browser_url);

} // namespace atelier::rtc
