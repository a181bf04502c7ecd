// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "core/result.h"

namespace atelier {

enum class LogFormat { Text, Json };

/// Configures the process-wide spdlog logger on stderr: human-readable text lines, or one JSON
/// object per line (`{"time","level","msg"}`) for log collectors. `level` is one of
/// trace, debug, info, warn, error, off.
[[nodiscard]] Result<void> init_logging(LogFormat format, std::string_view level);

} // namespace atelier
