// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "core/config.h"

namespace atelier::app {

/// `atelier mcp [--url URL] [--token TOKEN]`: the stdio MCP bridge (mcp/stdio_bridge.h) to a running
/// hub. The URL comes from the flag, else ATELIER_URL, else the configured host and port; the
/// token from the flag, else ATELIER_TOKEN, else `<data_dir>/token` (a local hub's admin token).
/// Returns the process exit status; diagnostics go to stderr only.
[[nodiscard]] int mcp_command(const Config& config, const std::string& url, const std::string& token);

} // namespace atelier::app
