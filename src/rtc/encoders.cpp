// SPDX-License-Identifier: Apache-2.0
// The encoders' settings. Both run in constant-quality mode with a ceiling (encoder_settings.h):
// a fixed bitrate (the first version: x264 at 1500 kbit/s whatever the size) spends as much on a
// 640×360 frame of a grey cube as the JPEG it came from, while constant quality spends what the
// picture needs, a fifth of the JPEG or less (docs/benchmarks.md, issue 23).

#include "rtc/encoders.h"

#include <gst/video/video.h>

#include <spdlog/spdlog.h>

#include "rtc/encoder_settings.h"

namespace atelier::rtc {
namespace {

struct CeilingRule {
    std::string codec;
    std::int64_t configured_kbps = 0;
};

/// The ceiling follows the frame size: set it on the encoder before the encoder sees new caps, so
/// its (re)configuration for the new size uses the new ceiling.
GstPadProbeReturn follow_frame_size(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    const auto size = announced_frame_size(info);
    if (!size) {
        return GST_PAD_PROBE_OK;
    }
    const auto [width, height] = *size;
    const auto* rule = static_cast<const CeilingRule*>(data);
    const auto kbps = bitrate_ceiling_kbps(rule->configured_kbps, width, height);
    GstElement* encoder = gst_pad_get_parent_element(pad);
    if (rule->codec == "VP8") {
        g_object_set(encoder, "target-bitrate", static_cast<gint>(kbps * 1000), nullptr);
    } else {
        g_object_set(encoder, "bitrate", static_cast<guint>(kbps), nullptr);
    }
    spdlog::info("{} encoder: {}x{}, ceiling {} kbit/s", rule->codec, width, height, kbps);
    gst_object_unref(encoder);
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn count_buffer(GstPad* /*pad*/, GstPadProbeInfo* /*info*/, gpointer data) {
    static_cast<std::atomic<std::uint64_t>*>(data)->fetch_add(1, std::memory_order_relaxed);
    return GST_PAD_PROBE_OK;
}

/// A queue that holds one buffer and drops the older one: latest wins.
GstElement* latest_wins_queue() {
    GstElement* queue = make_element("queue");
    if (queue != nullptr) {
        g_object_set(queue, "max-size-buffers", 1U, "max-size-bytes", 0U, "max-size-time", G_GUINT64_CONSTANT(0),
                     "leaky", 2 /* downstream: drop the old */, nullptr);
    }
    return queue;
}

void configure_x264(GstElement* encoder, GstElement* caps_filter, std::int64_t kbps) {
    // zerolatency: no lookahead, no frame threads (sliced threads instead), no B-frames: a frame
    // leaves the encoder before the next comes in. veryfast over ultrafast: sub-pixel motion
    // search, partitions and the deblocking filter take ~45 % fewer bits on an orbit for ~1.6× the
    // encode time, still < 7 ms per 720p frame on one loaded core (docs/viewport.md).
    gst_util_set_object_arg(G_OBJECT(encoder), "tune", "zerolatency");
    gst_util_set_object_arg(G_OBJECT(encoder), "speed-preset", "veryfast");
    gst_util_set_object_arg(G_OBJECT(encoder), "pass", "qual");
    g_object_set(encoder, "quantizer", kH264Quality, "bitrate", static_cast<guint>(kbps), "bframes", 0U, "key-int-max",
                 3000U, nullptr);
    GstCaps* caps = gst_caps_from_string("video/x-h264,profile=constrained-baseline");
    g_object_set(caps_filter, "caps", caps, nullptr);
    gst_caps_unref(caps);
}

void configure_vp8(GstElement* encoder, std::int64_t kbps) {
    gst_util_set_object_arg(G_OBJECT(encoder), "end-usage", "cq");
    g_object_set(encoder, "deadline", G_GINT64_CONSTANT(1), "cpu-used", 8, "keyframe-max-dist", 3000, "cq-level",
                 kVp8QualityLevel, "target-bitrate", static_cast<gint>(kbps * 1000), nullptr);
}

} // namespace

std::optional<FrameSize> announced_frame_size(GstPadProbeInfo* info) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) {
        return std::nullopt;
    }
    GstCaps* caps = nullptr;
    gst_event_parse_caps(event, &caps);
    FrameSize size;
    const GstStructure* structure = gst_caps_get_structure(caps, 0);
    if (!gst_structure_get_int(structure, "width", &size.width) ||
        !gst_structure_get_int(structure, "height", &size.height)) {
        return std::nullopt;
    }
    return size;
}

GstElement* make_element(const char* factory, const char* name) {
    GstElement* element = gst_element_factory_make(factory, name);
    if (element == nullptr) {
        spdlog::error("GStreamer element '{}' is missing (install the gstreamer1.0-plugins packages)", factory);
    }
    return element;
}

EncoderBranch make_encoder_branch(const std::string& codec, std::int64_t configured_kbps, EncoderCounts& counts) {
    const bool vp8 = codec == "VP8";
    EncoderBranch branch{latest_wins_queue(), make_element(vp8 ? "vp8enc" : "x264enc"), make_element("capsfilter"),
                         make_element(vp8 ? "rtpvp8pay" : "rtph264pay")};
    if (branch.queue == nullptr || branch.encoder == nullptr || branch.caps == nullptr || branch.payloader == nullptr) {
        for (GstElement* element : {branch.queue, branch.encoder, branch.caps, branch.payloader}) {
            if (element != nullptr) {
                gst_object_unref(gst_object_ref_sink(element));
            }
        }
        return {};
    }
    // Until the first frame says its size, the ceiling is the configured one.
    if (vp8) {
        configure_vp8(branch.encoder, configured_kbps);
        g_object_set(branch.payloader, "pt", 97U, nullptr);
    } else {
        configure_x264(branch.encoder, branch.caps, configured_kbps);
        g_object_set(branch.payloader, "config-interval", -1, "pt", 96U, nullptr);
        gst_util_set_object_arg(G_OBJECT(branch.payloader), "aggregate-mode", "zero-latency");
    }
    GstPad* sink = gst_element_get_static_pad(branch.encoder, "sink");
    gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, follow_frame_size,
                      new CeilingRule{codec, configured_kbps},
                      [](gpointer rule) { delete static_cast<CeilingRule*>(rule); });
    gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &counts.taken, nullptr);
    gst_object_unref(sink);
    GstPad* source = gst_element_get_static_pad(branch.encoder, "src");
    gst_pad_add_probe(source, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &counts.encoded, nullptr);
    gst_object_unref(source);
    return branch;
}

GstCaps* rtp_caps(const std::string& codec) {
    if (codec == "VP8") {
        return gst_caps_from_string("application/x-rtp,media=video,encoding-name=VP8,payload=97,clock-rate=90000");
    }
    return gst_caps_from_string(
        "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,packetization-mode=(string)1");
}

void force_key_frame(GstElement* encoder) {
    gst_element_send_event(encoder, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

} // namespace atelier::rtc
