// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace atelier::rtc {

/// How the helper's encoders spend bits (docs/viewport.md, "Encoding"). No GStreamer here, so the
/// rules are unit-tested on their own.
///
/// Both codecs run in constant-quality mode: a fixed quality (x264's CRF, VP8's cq-level) costs
/// few bits while the picture holds still or changes little, which is most of a viewport's life.
/// The bitrate is only a ceiling (x264's VBV maximum, VP8's target in cq mode) against scenes
/// that would cost more than a remote uplink takes.

/// x264 `pass=qual` quality (CRF; x264's default is 23): 28 keeps Workbench orbit frames at a luma
/// PSNR of ≥ 49.5 dB against the decoded JPEG for ~40 % fewer bits than 23 (docs/viewport.md).
inline constexpr unsigned kH264Quality = 28;
/// vp8enc `end-usage=cq` level (0 best … 63), about as many bits as kH264Quality spends.
inline constexpr int kVp8QualityLevel = 20;
/// The frame size `[webrtc] bitrate_kbps` is the ceiling for; smaller frames get a share.
inline constexpr std::int64_t kReferencePixels = 1280 * 720;
/// No ceiling goes below this (a thumbnail-sized panel still needs a readable key frame).
inline constexpr std::int64_t kMinimumCeilingKbps = 150;

/// The bitrate ceiling in kbit/s for frames of width × height when `configured_kbps` is the one at
/// 1280×720: scaled by pixel count, never above `configured_kbps`, never below
/// min(kMinimumCeilingKbps, configured_kbps). A non-positive size counts as the reference size.
[[nodiscard]] std::int64_t bitrate_ceiling_kbps(std::int64_t configured_kbps, int width, int height);

} // namespace atelier::rtc
