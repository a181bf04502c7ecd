// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/config.h"

namespace atelier::app {

/// `atelier serve`: runs the hub until SIGINT/SIGTERM. Returns the process exit code.
[[nodiscard]] int serve(const Config& config);

} // namespace atelier::app
