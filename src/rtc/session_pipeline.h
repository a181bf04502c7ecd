// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <gst/gst.h>

#include "rtc/encoders.h"
#include "rtc/frame_pacing.h"

namespace atelier::rtc {

/// Test mode: whether the frame's sequence number is drawn as 16 blocks in the top-left corner.
enum class FrameCounter { Off, Drawn };

/// One session's shared encoding: appsrc (JPEG) → jpegdec → videoconvert → videoscale → I420 of even
/// size → a tee of raw frames → one encoder branch per codec (encoders.h), made on first use, each
/// ending in a tee of RTP packets that the viewers' webrtcbins (webrtc_viewer.h) hang off. One
/// pipeline per session keeps a broken session (a bad JPEG, an encoder error) from stopping the others.
///
/// Lifetime: the constructor builds the pipeline and sets it playing; the destructor sets it to NULL
/// and drops the owner's reference (a viewer branch on its way out may still hold one). Every member
/// function runs on the GLib main loop's thread; the pipeline's probes run on its streaming threads.
class SessionPipeline {
public:
    SessionPipeline(std::string id, FrameCounter counter);
    ~SessionPipeline();
    SessionPipeline(const SessionPipeline&) = delete;
    SessionPipeline& operator=(const SessionPipeline&) = delete;

    /// A frame from the hub: kept as the last frame, and pushed when the session has viewers.
    void take_frame(std::uint32_t seq, const std::string& jpeg);
    /// Pushes the last frame again when the session has viewers and FramePacing says so (a flush
    /// after each new frame, a keep-alive while nothing changes). Called every ~33 ms.
    void repeat_if_idle(gint64 now_us);
    /// The tee of RTP packets for "H264" or "VP8", its encoder branch made and linked to the raw tee
    /// on first use; null when the branch could not be made (an element is missing).
    [[nodiscard]] GstElement* rtp_tee(const std::string& codec, std::int64_t bitrate_kbps);
    /// A viewer on `codec` joined (its branch is linked): the codec's encoder is asked for a key frame
    /// and the last frame is pushed, so the viewer sees a picture now, not at the next change.
    void viewer_joined(const std::string& codec);
    void viewer_left();
    /// The pipeline viewers' branches are added to (owned by this object).
    [[nodiscard]] GstElement* pipeline() const { return m_pipeline; }
    /// For the log: "N from the hub, N pushed of which N repeats, N taken and N encoded by CODEC".
    [[nodiscard]] std::string frame_counts(const std::string& codec) const;

private:
    static GstPadProbeReturn draw_counter_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data);
    void push();

    std::string m_id;
    GstElement* m_pipeline = nullptr;
    GstElement* m_source = nullptr;                                 ///< appsrc of JPEG frames
    GstElement* m_raw_tee = nullptr;                                ///< decoded I420 frames
    std::map<std::string, GstElement*> m_rtp_tees;                  ///< codec → the tee after its payloader
    std::map<std::string, GstElement*> m_encoders;                  ///< codec → its encoder (for key frames)
    std::map<std::string, std::unique_ptr<EncoderCounts>> m_counts; ///< codec → frames its encoder took, made
    std::uint64_t m_frames_received = 0;                            ///< from the hub
    std::uint64_t m_frames_pushed = 0;                              ///< into the pipeline, repeats included
    std::uint64_t m_frames_repeated = 0; ///< the last frame again, while the engine rendered nothing new
    std::string m_last_jpeg;
    std::uint32_t m_last_seq = 0;
    FramePacing m_pacing;
    int m_viewers = 0;
    /// PTS → frame number of the frames in flight, for the counter drawn in test mode.
    std::mutex m_seq_mutex;
    std::deque<std::pair<GstClockTime, std::uint32_t>> m_seqs;
};

} // namespace atelier::rtc
