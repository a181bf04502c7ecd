// SPDX-License-Identifier: Apache-2.0
// The helper's GStreamer pipelines. One pipeline per session keeps a broken session (a bad JPEG, an
// encoder error) from stopping the others. Frames are pushed with latest-wins queues in front of
// each encoder, so a slow encoder drops old frames instead of adding delay.

#include "rtc/rtc_streamer.h"

#include "rtc/encoders.h"

#define GST_USE_UNSTABLE_API
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <deque>
#include <utility>

#include <spdlog/spdlog.h>

namespace atelier::rtc {

struct Streamer::Session {
    std::string id;
    GstElement* pipeline = nullptr;
    GstElement* source = nullptr;                                 ///< appsrc of JPEG frames
    GstElement* raw_tee = nullptr;                                ///< decoded I420 frames
    std::map<std::string, GstElement*> rtp_tees;                  ///< codec → the tee after its payloader
    std::map<std::string, GstElement*> encoders;                  ///< codec → its encoder (for key frames)
    std::map<std::string, std::unique_ptr<EncoderCounts>> counts; ///< codec → frames its encoder took, made
    std::uint64_t frames_received = 0;                            ///< from the hub
    std::uint64_t frames_pushed = 0;                              ///< into the pipeline, repeats included
    std::uint64_t frames_repeated = 0; ///< the last frame again, while the engine rendered nothing new
    std::string last_jpeg;
    std::uint32_t last_seq = 0;
    gint64 last_push_us = 0;
    int viewers = 0;
    /// PTS → frame number of the frames in flight, for the counter drawn in test mode.
    std::mutex seq_mutex;
    std::deque<std::pair<GstClockTime, std::uint32_t>> seqs;
    bool counter = false;
};

struct Streamer::Viewer {
    std::string id;
    std::string session;
    std::string codec;
    GstElement* queue = nullptr;
    GstElement* webrtc = nullptr;
    GstPad* tee_pad = nullptr;
};

namespace {

Streamer::Send* g_send = nullptr; // webrtcbin's callbacks reach the hub through it

const char* viewer_of(GstElement* webrtc) {
    return static_cast<const char*>(g_object_get_data(G_OBJECT(webrtc), "atelier-viewer"));
}

void send_from_callback(nlohmann::json header) {
    if (g_send != nullptr) {
        (*g_send)(header);
    }
}

const char* state_name(GstWebRTCPeerConnectionState state) {
    switch (state) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW:
        return "new";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING:
        return "connecting";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
        return "connected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
        return "disconnected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
        return "failed";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED:
        return "closed";
    }
    return "unknown";
}

void on_connection_state(GstElement* webrtc, GParamSpec* /*spec*/, gpointer /*data*/) {
    GstWebRTCPeerConnectionState state{};
    g_object_get(webrtc, "connection-state", &state, nullptr);
    send_from_callback({{"op", "state"}, {"viewer", viewer_of(webrtc)}, {"state", state_name(state)}});
}

void on_ice_candidate(GstElement* webrtc, guint mline, gchar* candidate, gpointer /*data*/) {
    send_from_callback(
        {{"op", "ice"}, {"viewer", viewer_of(webrtc)}, {"candidate", candidate}, {"sdpMLineIndex", mline}});
}

void on_offer_created(GstPromise* promise, gpointer data) {
    auto* webrtc = static_cast<GstElement*>(data);
    const std::string viewer = viewer_of(webrtc);
    const GstStructure* reply = gst_promise_get_reply(promise);
    GstWebRTCSessionDescription* offer = nullptr;
    if (reply != nullptr) {
        gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
    }
    gst_promise_unref(promise);
    if (offer == nullptr) {
        send_from_callback({{"op", "state"},
                            {"viewer", viewer},
                            {"state", "failed"},
                            {"reason", "webrtcbin could not create an offer"}});
        return;
    }
    g_signal_emit_by_name(webrtc, "set-local-description", offer, nullptr);
    gchar* text = gst_sdp_message_as_text(offer->sdp);
    send_from_callback({{"op", "offer"}, {"viewer", viewer}, {"sdp", text}});
    g_free(text);
    gst_webrtc_session_description_free(offer);
}

void create_offer(GstElement* webrtc) {
    // The offer is made once per viewer; later renegotiation is not needed (one send-only track).
    if (g_object_get_data(G_OBJECT(webrtc), "atelier-offered") != nullptr) {
        return;
    }
    g_object_set_data(G_OBJECT(webrtc), "atelier-offered", GINT_TO_POINTER(1));
    GstPromise* promise = gst_promise_new_with_change_func(on_offer_created, gst_object_ref(webrtc), gst_object_unref);
    g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
}

GstPadProbeReturn offer_once_caps_arrive(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_CAPS) {
        return GST_PAD_PROBE_OK;
    }
    create_offer(static_cast<GstElement*>(data));
    return GST_PAD_PROBE_REMOVE;
}

void on_negotiation_needed(GstElement* webrtc, gpointer /*data*/) {
    // An offer made before the stream's caps reach webrtcbin has no a=ssrc and no H.264 profile, which
    // browsers take badly: wait for the caps (the first frame) when they are not there yet.
    GstPad* sink = gst_element_get_static_pad(webrtc, "sink_0");
    if (sink == nullptr) {
        return;
    }
    if (gst_pad_has_current_caps(sink)) {
        create_offer(webrtc);
    } else if (g_object_get_data(G_OBJECT(webrtc), "atelier-waiting") == nullptr) {
        g_object_set_data(G_OBJECT(webrtc), "atelier-waiting", GINT_TO_POINTER(1));
        gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, offer_once_caps_arrive, gst_object_ref(webrtc),
                          gst_object_unref);
    }
    gst_object_unref(sink);
}

/// Test mode: the 16 bits of `seq` as 16 blocks of 16×16 pixels in the first row of the luma plane
/// (white = 1, black = 0, most significant bit first), chroma neutral; survives lossy coding.
void draw_counter(GstBuffer* buffer, GstCaps* caps, std::uint32_t seq) {
    GstVideoInfo info;
    if (!gst_video_info_from_caps(&info, caps) || GST_VIDEO_INFO_FORMAT(&info) != GST_VIDEO_FORMAT_I420) {
        return;
    }
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_WRITE)) {
        return;
    }
    constexpr int kBlock = 16;
    const int width = std::min(GST_VIDEO_FRAME_WIDTH(&frame), 16 * kBlock);
    const int height = std::min(GST_VIDEO_FRAME_HEIGHT(&frame), kBlock);
    for (int plane = 0; plane < 3; ++plane) {
        auto* data = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, plane));
        const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, plane);
        const int scale = plane == 0 ? 1 : 2;
        for (int y = 0; y < height / scale; ++y) {
            for (int x = 0; x < width / scale; ++x) {
                const int bit = 15 - (x * scale) / kBlock;
                data[y * stride + x] = plane != 0 ? 128 : (((seq >> bit) & 1U) != 0 ? 235 : 16);
            }
        }
    }
    gst_video_frame_unmap(&frame);
}

GstPadProbeReturn counter_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    auto* session = static_cast<Streamer::Session*>(data);
    auto* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    std::uint32_t seq = 0;
    {
        const std::lock_guard lock(session->seq_mutex);
        for (const auto& [pts, number] : session->seqs) {
            if (pts == GST_BUFFER_PTS(buffer)) {
                seq = number;
            }
        }
    }
    buffer = gst_buffer_make_writable(buffer);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    if (GstCaps* caps = gst_pad_get_current_caps(pad); caps != nullptr) {
        draw_counter(buffer, caps, seq);
        gst_caps_unref(caps);
    }
    return GST_PAD_PROBE_OK;
}

gboolean bus_message(GstBus* /*bus*/, GstMessage* message, gpointer data) {
    auto* session = static_cast<Streamer::Session*>(data);
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError* error = nullptr;
        gchar* debug = nullptr;
        gst_message_parse_error(message, &error, &debug);
        spdlog::error("session {}: {} ({})", session->id, error->message, debug != nullptr ? debug : "");
        g_clear_error(&error);
        g_free(debug);
    } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
        GError* error = nullptr;
        gst_message_parse_warning(message, &error, nullptr);
        spdlog::warn("session {}: {}", session->id, error->message);
        g_clear_error(&error);
    }
    return TRUE;
}

/// Keeps the raw frames' size even (rounded down), whatever size the decoder announces.
GstPadProbeReturn even_size_probe(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) {
        return GST_PAD_PROBE_OK;
    }
    GstCaps* caps = nullptr;
    gst_event_parse_caps(event, &caps);
    int width = 0;
    int height = 0;
    const GstStructure* structure = gst_caps_get_structure(caps, 0);
    if (gst_structure_get_int(structure, "width", &width) && gst_structure_get_int(structure, "height", &height)) {
        GstCaps* even =
            gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                                std::max(2, width & ~1), "height", G_TYPE_INT, std::max(2, height & ~1), nullptr);
        g_object_set(static_cast<GstElement*>(data), "caps", even, nullptr);
        gst_caps_unref(even);
    }
    return GST_PAD_PROBE_OK;
}

/// A viewer's branch (tee pad → queue → webrtcbin) on its way out of a playing pipeline.
struct BranchRemoval {
    GstElement* pipeline;
    GstElement* tee;
    GstPad* tee_pad;
    GstElement* queue;
    GstElement* webrtc;
};

gboolean remove_branch(gpointer data) {
    auto* removal = static_cast<BranchRemoval*>(data);
    for (GstElement* element : {removal->webrtc, removal->queue}) {
        gst_element_set_state(element, GST_STATE_NULL);
        gst_bin_remove(GST_BIN(removal->pipeline), element);
    }
    gst_object_unref(removal->tee_pad);
    gst_object_unref(removal->pipeline);
    delete removal;
    return G_SOURCE_REMOVE;
}

GstPadProbeReturn unlink_when_idle(GstPad* pad, GstPadProbeInfo* /*info*/, gpointer data) {
    auto* removal = static_cast<BranchRemoval*>(data);
    GstPad* queue_sink = gst_element_get_static_pad(removal->queue, "sink");
    gst_pad_unlink(pad, queue_sink);
    gst_object_unref(queue_sink);
    gst_element_release_request_pad(removal->tee, pad);
    // State changes belong on the main loop, not on a streaming thread.
    g_idle_add(remove_branch, removal);
    return GST_PAD_PROBE_REMOVE;
}

} // namespace

Streamer::Streamer(StreamerOptions options, Send send) : m_options(std::move(options)), m_send(std::move(send)) {
    g_send = &m_send;
}

Streamer::~Streamer() {
    for (auto& [id, viewer] : m_viewers) {
        gst_object_unref(viewer->tee_pad);
    }
    for (auto& [id, session] : m_sessions) {
        gst_element_set_state(session->pipeline, GST_STATE_NULL);
        gst_object_unref(session->pipeline);
    }
    g_send = nullptr;
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

Streamer::Session& Streamer::session(const std::string& session_id) {
    auto& slot = m_sessions[session_id];
    if (slot) {
        return *slot;
    }
    slot = std::make_unique<Session>();
    auto& s = *slot;
    s.id = session_id;
    s.counter = m_options.frame_counter;
    s.pipeline = gst_pipeline_new(("session-" + session_id).c_str());
    s.source = make_element("appsrc");
    GstCaps* caps = gst_caps_from_string("image/jpeg,framerate=30/1");
    g_object_set(s.source, "caps", caps, "format", GST_FORMAT_TIME, "is-live", TRUE, "do-timestamp", FALSE,
                 "max-buffers", G_GUINT64_CONSTANT(2), "leaky-type", 2 /* downstream */, nullptr);
    gst_caps_unref(caps);
    GstElement* decoder = make_element("jpegdec");
    GstElement* convert = make_element("videoconvert");
    GstElement* scale = make_element("videoscale");
    GstElement* raw_caps = make_element("capsfilter");
    caps = gst_caps_from_string("video/x-raw,format=I420");
    g_object_set(raw_caps, "caps", caps, nullptr);
    gst_caps_unref(caps);
    // The panel decides the frame size, odd sizes included; 4:2:0 encoders need even ones.
    GstPad* decoded = gst_element_get_static_pad(decoder, "src");
    gst_pad_add_probe(decoded, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, even_size_probe, raw_caps, nullptr);
    gst_object_unref(decoded);
    s.raw_tee = make_element("tee");
    g_object_set(s.raw_tee, "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(GST_BIN(s.pipeline), s.source, decoder, convert, scale, raw_caps, s.raw_tee, nullptr);
    gst_element_link_many(s.source, decoder, convert, scale, raw_caps, s.raw_tee, nullptr);
    if (s.counter) {
        GstPad* pad = gst_element_get_static_pad(raw_caps, "src");
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, counter_probe, &s, nullptr);
        gst_object_unref(pad);
    }
    GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(s.pipeline));
    gst_bus_add_watch(bus, bus_message, &s);
    gst_object_unref(bus);
    gst_element_set_state(s.pipeline, GST_STATE_PLAYING);
    return s;
}

void Streamer::frame(const std::string& session_id, std::uint32_t seq, const std::string& jpeg) {
    auto& s = session(session_id);
    s.last_jpeg = jpeg;
    s.last_seq = seq;
    s.frames_received += 1;
    if (s.viewers > 0) {
        push(s);
    }
}

void Streamer::push(Session& s) {
    if (s.last_jpeg.empty()) {
        return;
    }
    GstClockTime now = gst_element_get_current_running_time(s.pipeline);
    if (!GST_CLOCK_TIME_IS_VALID(now)) {
        now = 0;
    }
    GstBuffer* buffer = gst_buffer_new_memdup(s.last_jpeg.data(), s.last_jpeg.size());
    GST_BUFFER_PTS(buffer) = now;
    {
        const std::lock_guard lock(s.seq_mutex);
        s.seqs.emplace_back(now, s.last_seq);
        if (s.seqs.size() > 64) {
            s.seqs.pop_front();
        }
    }
    gst_app_src_push_buffer(GST_APP_SRC(s.source), buffer);
    s.frames_pushed += 1;
    s.last_push_us = g_get_monotonic_time();
}

void Streamer::repeat_idle_frames() {
    const gint64 now = g_get_monotonic_time();
    for (auto& [id, s] : m_sessions) {
        if (s->viewers > 0 && !s->last_jpeg.empty() && now - s->last_push_us > 400'000) {
            s->frames_repeated += 1;
            push(*s);
        }
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
    if (!s.rtp_tees.contains(codec)) {
        auto& counts = s.counts[codec];
        counts = std::make_unique<EncoderCounts>();
        const auto branch = make_encoder_branch(codec, m_options.bitrate_kbps, *counts);
        if (branch.encoder == nullptr) {
            s.counts.erase(codec);
            m_send({{"op", "state"},
                    {"viewer", viewer_id},
                    {"state", "failed"},
                    {"reason", "the " + codec + " encoder could not be made"}});
            return;
        }
        GstElement* rtp_tee = make_element("tee");
        g_object_set(rtp_tee, "allow-not-linked", TRUE, nullptr);
        gst_bin_add_many(GST_BIN(s.pipeline), branch.queue, branch.encoder, branch.caps, branch.payloader, rtp_tee,
                         nullptr);
        gst_element_link_many(branch.queue, branch.encoder, branch.caps, branch.payloader, rtp_tee, nullptr);
        for (GstElement* element : {rtp_tee, branch.payloader, branch.caps, branch.encoder, branch.queue}) {
            gst_element_sync_state_with_parent(element);
        }
        gst_element_link(s.raw_tee, branch.queue);
        s.rtp_tees[codec] = rtp_tee;
        s.encoders[codec] = branch.encoder;
    }

    auto viewer = std::make_unique<Viewer>();
    viewer->id = viewer_id;
    viewer->session = session_id;
    viewer->codec = codec;
    viewer->queue = make_element("queue");
    // Leaky: the encoder is shared by the session's viewers, and a viewer that cannot take packets
    // (webrtcbin holds its input until the answer arrives) must not stall it. A blocked encoder
    // also blocks the allocation query a new codec branch sends through the raw tee, which stopped
    // the whole session when a VP8 viewer joined beside an H.264 one that had not answered.
    g_object_set(viewer->queue, "leaky", 2 /* downstream: drop the old */, nullptr);
    viewer->webrtc = make_element("webrtcbin", ("viewer-" + viewer_id).c_str());
    if (viewer->webrtc == nullptr) {
        m_send({{"op", "state"}, {"viewer", viewer_id}, {"state", "failed"}, {"reason", "webrtcbin is missing"}});
        return;
    }
    g_object_set_data_full(G_OBJECT(viewer->webrtc), "atelier-viewer", g_strdup(viewer_id.c_str()), g_free);
    gst_util_set_object_arg(G_OBJECT(viewer->webrtc), "bundle-policy", "max-bundle");
    g_object_set(viewer->webrtc, "latency", 0U, nullptr);
    for (const auto& url : m_options.ice_servers) {
        const auto gst_url = gstreamer_ice_url(url);
        if (gst_url.starts_with("stun://")) {
            g_object_set(viewer->webrtc, "stun-server", gst_url.c_str(), nullptr);
        } else if (gst_url.starts_with("turn")) {
            gboolean added = FALSE;
            g_signal_emit_by_name(viewer->webrtc, "add-turn-server", gst_url.c_str(), &added);
        }
    }
    GstWebRTCICE* ice = nullptr;
    g_object_get(viewer->webrtc, "ice-agent", &ice, nullptr);
    if (ice != nullptr) {
        for (const auto& address : m_options.local_addresses) {
            gboolean added = FALSE;
            g_signal_emit_by_name(ice, "add-local-ip-address", address.c_str(), &added);
            if (!added) {
                spdlog::warn("libnice did not take local address {}", address);
            }
        }
        gst_object_unref(ice);
    }
    g_signal_connect(viewer->webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), nullptr);
    g_signal_connect(viewer->webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate), nullptr);
    g_signal_connect(viewer->webrtc, "notify::connection-state", G_CALLBACK(on_connection_state), nullptr);

    gst_bin_add_many(GST_BIN(s.pipeline), viewer->queue, viewer->webrtc, nullptr);
    GstPad* sink = gst_element_request_pad_simple(viewer->webrtc, "sink_%u");
    GstPad* queue_src = gst_element_get_static_pad(viewer->queue, "src");
    gst_pad_link(queue_src, sink);
    gst_object_unref(queue_src);
    GstWebRTCRTPTransceiver* transceiver = nullptr;
    g_object_get(sink, "transceiver", &transceiver, nullptr);
    if (transceiver != nullptr) {
        GstCaps* caps = rtp_caps(codec);
        // NACK with retransmission (RTX): key frames come only on join and PLI, so without it one
        // lost packet freezes the picture until the browser's PLI round trip brings a key frame.
        g_object_set(transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences", caps,
                     "do-nack", TRUE, nullptr);
        gst_caps_unref(caps);
        gst_object_unref(transceiver);
    }
    gst_object_unref(sink);
    gst_element_sync_state_with_parent(viewer->queue);
    gst_element_sync_state_with_parent(viewer->webrtc);
    // Data may flow into the branch only once it plays: a flushing pad would stop the encoder's thread.
    gst_element_get_state(viewer->webrtc, nullptr, nullptr, GST_SECOND);
    viewer->tee_pad = gst_element_request_pad_simple(s.rtp_tees[codec], "src_%u");
    GstPad* queue_sink = gst_element_get_static_pad(viewer->queue, "sink");
    gst_pad_link(viewer->tee_pad, queue_sink);
    gst_object_unref(queue_sink);

    s.viewers += 1;
    m_viewers[viewer_id] = std::move(viewer);
    spdlog::info("viewer {} of session {}: {}", viewer_id, session_id, codec);
    // A joining viewer needs a key frame now, not at the next interval.
    force_key_frame(s.encoders[codec]);
    push(s);
}

void Streamer::stop_viewer(const std::string& viewer_id, const std::string& reason) {
    auto found = m_viewers.find(viewer_id);
    if (found == m_viewers.end()) {
        return;
    }
    auto viewer = std::move(found->second);
    m_viewers.erase(found);
    auto& s = *m_sessions.at(viewer->session);
    s.viewers -= 1;
    // Unlinked only once no buffer is inside the tee's pad (an idle probe): pulling a branch out
    // while a buffer passes would hand the encoder thread a flushing return and stop it for good.
    auto* removal = new BranchRemoval{GST_ELEMENT(gst_object_ref(s.pipeline)), s.rtp_tees.at(viewer->codec),
                                      viewer->tee_pad, viewer->queue, viewer->webrtc};
    gst_pad_add_probe(viewer->tee_pad, GST_PAD_PROBE_TYPE_IDLE, unlink_when_idle, removal, nullptr);
    // What the session's pipeline did so far: the frames the encoder skipped (latest wins) are
    // taken < pushed; what the browser then shows is in its getStats().
    const auto& counts = *s.counts.at(viewer->codec);
    spdlog::info("viewer {} of session {}: {} (frames: {} from the hub, {} pushed of which {} repeats, {} taken "
                 "and {} encoded by {})",
                 viewer_id, viewer->session, reason, s.frames_received, s.frames_pushed, s.frames_repeated,
                 counts.taken.load(), counts.encoded.load(), viewer->codec);
    m_send({{"op", "state"}, {"viewer", viewer_id}, {"state", "closed"}, {"reason", reason}});
}

void Streamer::end_session(const std::string& session_id) {
    std::vector<std::string> viewers;
    for (const auto& [id, viewer] : m_viewers) {
        if (viewer->session == session_id) {
            viewers.push_back(id);
        }
    }
    for (const auto& id : viewers) {
        stop_viewer(id, "the session ended");
    }
    if (auto found = m_sessions.find(session_id); found != m_sessions.end()) {
        gst_element_set_state(found->second->pipeline, GST_STATE_NULL);
        gst_object_unref(found->second->pipeline);
        m_sessions.erase(found);
    }
}

void Streamer::answer(const std::string& viewer_id, const std::string& sdp) {
    auto found = m_viewers.find(viewer_id);
    if (found == m_viewers.end()) {
        return error(viewer_id, "answer: no viewer " + viewer_id);
    }
    GstSDPMessage* message = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &message) != GST_SDP_OK) {
        return error(viewer_id, "answer: the SDP does not parse");
    }
    GstWebRTCSessionDescription* description = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message);
    g_signal_emit_by_name(found->second->webrtc, "set-remote-description", description, nullptr);
    gst_webrtc_session_description_free(description);
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
    const auto mline = header.value("sdpMLineIndex", 0U);
    g_signal_emit_by_name(found->second->webrtc, "add-ice-candidate", mline, candidate.c_str());
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

std::string gstreamer_ice_url(const std::string& browser_url) {
    for (const char* scheme : {"stun:", "turn:", "turns:"}) {
        const std::string prefix = scheme;
        if (browser_url.starts_with(prefix) && !browser_url.starts_with(prefix + "//")) {
            return prefix + "//" + browser_url.substr(prefix.size());
        }
    }
    return browser_url;
}

} // namespace atelier::rtc
