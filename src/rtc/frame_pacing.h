// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace atelier::rtc {

/// When the helper pushes a session's last frame into its encoder again (docs/viewport.md "Frame
/// pacing"). No GStreamer here, so the rule is unit-tested on its own; times are in microseconds
/// of one monotonic clock.
///
/// The engine renders only when something changes, so between changes a video track would get no
/// frames at all. Two kinds of repeat:
/// - **flushes**: kFlushes repeats after each new frame, at kFlushAfterUs and 3 × kFlushAfterUs
///   (each skipped when a newer frame came first). Chromium shows a video frame that follows a
///   pause only once a later frame arrives: with keep-alives alone, the first frame of an orbit
///   step after a rest was shown up to ~380 ms late; with one flush 1–3 steps in 100 still waited
///   140–180 ms; with two, the slowest of 100 took 76 ms at 640×360 (docs/benchmarks.md, issue 23);
/// - **keep-alives**: whenever nothing was pushed for kRestingIntervalUs, so a track that joins a
///   still picture shows it and the receiver never sees a long silence.
class FramePacing {
public:
    static constexpr std::int64_t kFlushAfterUs = 30'000;
    static constexpr int kFlushes = 2;
    static constexpr std::int64_t kRestingIntervalUs = 400'000;

    /// A new frame from the engine at `now_us`.
    void new_frame(std::int64_t now_us) {
        m_last_new_us = now_us;
        m_flushes = 0;
    }
    /// A frame (new or repeated) went into the encoder at `now_us`.
    void pushed(std::int64_t now_us) { m_last_push_us = now_us; }
    /// Whether the last frame should be pushed again at `now_us` (the caller then pushes it and
    /// calls pushed()).
    [[nodiscard]] bool repeat_due(std::int64_t now_us) {
        const bool flush = m_flushes < kFlushes && now_us - m_last_new_us >= kFlushAfterUs * (1 + 2 * m_flushes);
        if (!flush && now_us - m_last_push_us < kRestingIntervalUs) {
            return false;
        }
        if (flush) {
            m_flushes += 1;
        }
        return true;
    }

private:
    std::int64_t m_last_new_us = 0;
    std::int64_t m_last_push_us = 0;
    int m_flushes = kFlushes; ///< flushes done since the last new frame
};

} // namespace atelier::rtc
