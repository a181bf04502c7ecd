// SPDX-License-Identifier: Apache-2.0
// The session's shared encoding pipeline. Frames are pushed with latest-wins queues in front of each
// encoder (encoders.cpp), so a slow encoder drops old frames instead of adding delay.

#include "rtc/session_pipeline.h"

#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace atelier::rtc {
namespace {

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

gboolean bus_message(GstBus* /*bus*/, GstMessage* message, gpointer data) {
    const auto& session_id = *static_cast<const std::string*>(data);
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError* error = nullptr;
        gchar* debug = nullptr;
        gst_message_parse_error(message, &error, &debug);
        spdlog::error("session {}: {} ({})", session_id, error->message, debug != nullptr ? debug : "");
        g_clear_error(&error);
        g_free(debug);
    } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
        GError* error = nullptr;
        gst_message_parse_warning(message, &error, nullptr);
        spdlog::warn("session {}: {}", session_id, error->message);
        g_clear_error(&error);
    }
    return TRUE;
}

/// Keeps the raw frames' size even (rounded down), whatever size the decoder announces.
GstPadProbeReturn even_size_probe(GstPad* /*pad*/, GstPadProbeInfo* info, gpointer data) {
    if (const auto size = announced_frame_size(info)) {
        GstCaps* even = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                                            std::max(2, size->width & ~1), "height", G_TYPE_INT,
                                            std::max(2, size->height & ~1), nullptr);
        g_object_set(static_cast<GstElement*>(data), "caps", even, nullptr);
        gst_caps_unref(even);
    }
    return GST_PAD_PROBE_OK;
}

} // namespace

SessionPipeline::SessionPipeline(std::string id, FrameCounter counter) : m_id(std::move(id)) {
    m_pipeline = gst_pipeline_new(("session-" + m_id).c_str());
    m_source = make_element("appsrc");
    GstCaps* caps = gst_caps_from_string("image/jpeg,framerate=30/1");
    g_object_set(m_source, "caps", caps, "format", GST_FORMAT_TIME, "is-live", TRUE, "do-timestamp", FALSE,
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
    m_raw_tee = make_element("tee");
    g_object_set(m_raw_tee, "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(GST_BIN(m_pipeline), m_source, decoder, convert, scale, raw_caps, m_raw_tee, nullptr);
    gst_element_link_many(m_source, decoder, convert, scale, raw_caps, m_raw_tee, nullptr);
    if (counter == FrameCounter::Drawn) {
        GstPad* pad = gst_element_get_static_pad(raw_caps, "src");
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, draw_counter_probe, this, nullptr);
        gst_object_unref(pad);
    }
    GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(m_pipeline));
    // The watch owns a copy of the id: a viewer branch still being removed may keep the pipeline
    // (and its bus) alive past this object, and a message posted then must not read freed memory.
    gst_bus_add_watch_full(bus, G_PRIORITY_DEFAULT, bus_message, new std::string(m_id),
                           [](gpointer data) { delete static_cast<std::string*>(data); });
    gst_object_unref(bus);
    gst_element_set_state(m_pipeline, GST_STATE_PLAYING);
}

SessionPipeline::~SessionPipeline() {
    GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(m_pipeline));
    gst_bus_remove_watch(bus);
    gst_object_unref(bus);
    gst_element_set_state(m_pipeline, GST_STATE_NULL);
    gst_object_unref(m_pipeline);
}

GstPadProbeReturn SessionPipeline::draw_counter_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
    auto* session = static_cast<SessionPipeline*>(data);
    auto* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    std::uint32_t seq = 0;
    {
        const std::lock_guard lock(session->m_seq_mutex);
        for (const auto& [pts, number] : session->m_seqs) {
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

void SessionPipeline::take_frame(std::uint32_t seq, const std::string& jpeg) {
    m_last_jpeg = jpeg;
    m_last_seq = seq;
    m_pacing.new_frame(g_get_monotonic_time());
    m_frames_received += 1;
    if (m_viewers > 0) {
        push();
    }
}

void SessionPipeline::push() {
    if (m_last_jpeg.empty()) {
        return;
    }
    GstClockTime now = gst_element_get_current_running_time(m_pipeline);
    if (!GST_CLOCK_TIME_IS_VALID(now)) {
        now = 0;
    }
    GstBuffer* buffer = gst_buffer_new_memdup(m_last_jpeg.data(), m_last_jpeg.size());
    GST_BUFFER_PTS(buffer) = now;
    {
        const std::lock_guard lock(m_seq_mutex);
        m_seqs.emplace_back(now, m_last_seq);
        if (m_seqs.size() > 64) {
            m_seqs.pop_front();
        }
    }
    gst_app_src_push_buffer(GST_APP_SRC(m_source), buffer);
    m_frames_pushed += 1;
    m_pacing.pushed(g_get_monotonic_time());
}

void SessionPipeline::repeat_if_idle(gint64 now_us) {
    if (m_viewers > 0 && !m_last_jpeg.empty() && m_pacing.repeat_due(now_us)) {
        m_frames_repeated += 1;
        push();
    }
}

GstElement* SessionPipeline::rtp_tee(const std::string& codec, std::int64_t bitrate_kbps) {
    if (auto found = m_rtp_tees.find(codec); found != m_rtp_tees.end()) {
        return found->second;
    }
    auto& counts = m_counts[codec];
    counts = std::make_unique<EncoderCounts>();
    const auto branch = make_encoder_branch(codec, bitrate_kbps, *counts);
    if (branch.encoder == nullptr) {
        m_counts.erase(codec);
        return nullptr;
    }
    GstElement* tee = make_element("tee");
    g_object_set(tee, "allow-not-linked", TRUE, nullptr);
    gst_bin_add_many(GST_BIN(m_pipeline), branch.queue, branch.encoder, branch.caps, branch.payloader, tee, nullptr);
    gst_element_link_many(branch.queue, branch.encoder, branch.caps, branch.payloader, tee, nullptr);
    for (GstElement* element : {tee, branch.payloader, branch.caps, branch.encoder, branch.queue}) {
        gst_element_sync_state_with_parent(element);
    }
    gst_element_link(m_raw_tee, branch.queue);
    m_rtp_tees[codec] = tee;
    m_encoders[codec] = branch.encoder;
    return tee;
}

void SessionPipeline::viewer_joined(const std::string& codec) {
    m_viewers += 1;
    // A joining viewer needs a key frame now, not at the next interval.
    force_key_frame(m_encoders.at(codec));
    push();
}

void SessionPipeline::viewer_left() {
    m_viewers -= 1;
}

std::string SessionPipeline::frame_counts(const std::string& codec) const {
    // The frames the encoder skipped (latest wins) are taken < pushed; what the browser then shows
    // is in its getStats().
    const auto& counts = *m_counts.at(codec);
    return fmt::format("{} from the hub, {} pushed of which {} repeats, {} taken and {} encoded by {}",
                       m_frames_received, m_frames_pushed, m_frames_repeated, counts.taken.load(),
                       counts.encoded.load(), codec);
}

} // namespace atelier::rtc
