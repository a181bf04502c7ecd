// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include <gst/gst.h>

namespace atelier::rtc {

/// Frames counted on one codec's branch, for the helper's log (read on the main loop, counted on
/// GStreamer's streaming threads).
struct EncoderCounts {
    std::atomic<std::uint64_t> taken{0};   ///< frames the encoder took (the rest the queue dropped)
    std::atomic<std::uint64_t> encoded{0}; ///< frames it put out
};

/// One codec's branch behind the session's tee of raw frames: a latest-wins queue, the encoder,
/// its caps and the RTP payloader. The elements are floating (not yet in a bin); all are null when
/// one of them is missing.
struct EncoderBranch {
    GstElement* queue = nullptr;
    GstElement* encoder = nullptr;
    GstElement* caps = nullptr;
    GstElement* payloader = nullptr;
};

/// The branch for "H264" (x264enc) or "VP8" (vp8enc), in constant-quality mode with a bitrate
/// ceiling that follows the frame size (encoder_settings.h): `configured_kbps` is the ceiling at
/// 1280×720. `counts` must outlive the branch's elements.
[[nodiscard]] EncoderBranch make_encoder_branch(const std::string& codec, std::int64_t configured_kbps,
                                                EncoderCounts& counts);

/// The RTP caps webrtcbin offers for the codec (payload 96 H.264 packetization-mode 1, 97 VP8).
[[nodiscard]] GstCaps* rtp_caps(const std::string& codec);

/// Asks the encoder for a key frame now (a viewer joined).
void force_key_frame(GstElement* encoder);

/// A frame size in pixels.
struct FrameSize {
    int width = 0;
    int height = 0;
};

/// For a pad probe on downstream events: the frame size a caps event announces; nothing for any
/// other event, or for caps without a width and height. Both the raw frames' even-size filter and
/// the encoders' ceiling follow the size this way.
[[nodiscard]] std::optional<FrameSize> announced_frame_size(GstPadProbeInfo* info);

/// A GStreamer element by factory name, logged when the plugin is missing.
[[nodiscard]] GstElement* make_element(const char* factory, const char* name = nullptr);

} // namespace atelier::rtc
