// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "core/config.h"
#include "sessions/viewport_rtc.h"

namespace atelier::app {

/// The WebRTC viewport as configured (`[webrtc]`), started; null when it is off or the helper is
/// not installed (the viewport then streams JPEG frames only, and the log says why).
[[nodiscard]] std::shared_ptr<sessions::ViewportRtc> start_viewport_rtc(const Config& config);

} // namespace atelier::app
