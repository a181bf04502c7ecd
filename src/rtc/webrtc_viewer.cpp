// SPDX-License-Identifier: Apache-2.0
// A viewer's webrtcbin branch and its signalling. webrtcbin's callbacks run on its own threads and
// reach the hub through the signalling sink; everything else runs on the GLib main loop.

#include "rtc/webrtc_viewer.h"

#include "rtc/encoders.h"

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <utility>

#include <spdlog/spdlog.h>

namespace atelier::rtc {
namespace {

const SignallingSink* g_sink = nullptr; // webrtcbin's callbacks reach the hub through it

const char* viewer_of(GstElement* webrtc) {
    return static_cast<const char*>(g_object_get_data(G_OBJECT(webrtc), "atelier-viewer"));
}

void send_from_callback(nlohmann::json header) {
    if (g_sink != nullptr) {
        (*g_sink)(header);
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

void set_signalling_sink(const SignallingSink* sink) {
    g_sink = sink;
}

std::unique_ptr<WebrtcViewer> WebrtcViewer::create(const std::string& id, const std::string& session,
                                                   const std::string& codec,
                                                   const std::vector<std::string>& ice_servers,
                                                   const std::vector<std::string>& local_addresses) {
    std::unique_ptr<WebrtcViewer> viewer(new WebrtcViewer());
    viewer->m_id = id;
    viewer->m_session = session;
    viewer->m_codec = codec;
    viewer->m_queue = make_element("queue");
    // Leaky: the encoder is shared by the session's viewers, and a viewer that cannot take packets
    // (webrtcbin holds its input until the answer arrives) must not stall it. A blocked encoder
    // also blocks the allocation query a new codec branch sends through the raw tee, which stopped
    // the whole session when a VP8 viewer joined beside an H.264 one that had not answered.
    g_object_set(viewer->m_queue, "leaky", 2 /* downstream: drop the old */, nullptr);
    viewer->m_webrtc = make_element("webrtcbin", ("viewer-" + id).c_str());
    if (viewer->m_webrtc == nullptr) {
        gst_object_unref(gst_object_ref_sink(viewer->m_queue)); // floating, never added to a bin
        return nullptr;
    }
    GstElement* webrtc = viewer->m_webrtc;
    g_object_set_data_full(G_OBJECT(webrtc), "atelier-viewer", g_strdup(id.c_str()), g_free);
    gst_util_set_object_arg(G_OBJECT(webrtc), "bundle-policy", "max-bundle");
    g_object_set(webrtc, "latency", 0U, nullptr);
    for (const auto& url : ice_servers) {
        const auto gst_url = gstreamer_ice_url(url);
        if (gst_url.starts_with("stun://")) {
            g_object_set(webrtc, "stun-server", gst_url.c_str(), nullptr);
        } else if (gst_url.starts_with("turn")) {
            gboolean added = FALSE;
            g_signal_emit_by_name(webrtc, "add-turn-server", gst_url.c_str(), &added);
        }
    }
    GstWebRTCICE* ice = nullptr;
    g_object_get(webrtc, "ice-agent", &ice, nullptr);
    if (ice != nullptr) {
        for (const auto& address : local_addresses) {
            gboolean added = FALSE;
            g_signal_emit_by_name(ice, "add-local-ip-address", address.c_str(), &added);
            if (!added) {
                spdlog::warn("libnice did not take local address {}", address);
            }
        }
        gst_object_unref(ice);
    }
    g_signal_connect(webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), nullptr);
    g_signal_connect(webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate), nullptr);
    g_signal_connect(webrtc, "notify::connection-state", G_CALLBACK(on_connection_state), nullptr);
    return viewer;
}

WebrtcViewer::~WebrtcViewer() {
    if (m_tee_pad != nullptr) {
        gst_object_unref(m_tee_pad);
    }
}

void WebrtcViewer::attach(GstElement* pipeline, GstElement* rtp_tee) {
    gst_bin_add_many(GST_BIN(pipeline), m_queue, m_webrtc, nullptr);
    GstPad* sink = gst_element_request_pad_simple(m_webrtc, "sink_%u");
    GstPad* queue_src = gst_element_get_static_pad(m_queue, "src");
    gst_pad_link(queue_src, sink);
    gst_object_unref(queue_src);
    GstWebRTCRTPTransceiver* transceiver = nullptr;
    g_object_get(sink, "transceiver", &transceiver, nullptr);
    if (transceiver != nullptr) {
        GstCaps* caps = rtp_caps(m_codec);
        // NACK with retransmission (RTX): key frames come only on join and PLI, so without it one
        // lost packet freezes the picture until the browser's PLI round trip brings a key frame.
        g_object_set(transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences", caps,
                     "do-nack", TRUE, nullptr);
        gst_caps_unref(caps);
        gst_object_unref(transceiver);
    }
    gst_object_unref(sink);
    gst_element_sync_state_with_parent(m_queue);
    gst_element_sync_state_with_parent(m_webrtc);
    // Data may flow into the branch only once it plays: a flushing pad would stop the encoder's thread.
    gst_element_get_state(m_webrtc, nullptr, nullptr, GST_SECOND);
    m_rtp_tee = rtp_tee;
    m_tee_pad = gst_element_request_pad_simple(rtp_tee, "src_%u");
    GstPad* queue_sink = gst_element_get_static_pad(m_queue, "sink");
    gst_pad_link(m_tee_pad, queue_sink);
    gst_object_unref(queue_sink);
}

void WebrtcViewer::detach(GstElement* pipeline) {
    // Unlinked only once no buffer is inside the tee's pad (an idle probe): pulling a branch out
    // while a buffer passes would hand the encoder thread a flushing return and stop it for good.
    auto* removal = new BranchRemoval{GST_ELEMENT(gst_object_ref(pipeline)), m_rtp_tee,
                                      std::exchange(m_tee_pad, nullptr), m_queue, m_webrtc};
    gst_pad_add_probe(removal->tee_pad, GST_PAD_PROBE_TYPE_IDLE, unlink_when_idle, removal, nullptr);
}

Result<void> WebrtcViewer::answer(const std::string& sdp) {
    GstSDPMessage* message = nullptr;
    if (gst_sdp_message_new_from_text(sdp.c_str(), &message) != GST_SDP_OK) {
        return fail(ErrorCode::InvalidArgument, "answer: the SDP does not parse");
    }
    GstWebRTCSessionDescription* description = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, message);
    g_signal_emit_by_name(m_webrtc, "set-remote-description", description, nullptr);
    gst_webrtc_session_description_free(description);
    return {};
}

void WebrtcViewer::add_remote_candidate(const std::string& candidate, unsigned mline) {
    g_signal_emit_by_name(m_webrtc, "add-ice-candidate", mline, candidate.c_str());
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
