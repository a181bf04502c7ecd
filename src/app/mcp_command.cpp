// SPDX-License-Identifier: Apache-2.0
#include "app/mcp_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "app/hub_address.h"
#include "core/logging.h"
#include "mcp/stdio_bridge.h"

namespace atelier::app {

int mcp_command(const Config& config, const std::string& url, const std::string& token) {
    // Stdout is the protocol channel: every log line goes to stderr, and only warnings.
    (void)init_logging(LogFormat::Text, "warn");
    mcp::StdioBridgeOptions options;
    const HubAddress hub = hub_address(config, url, token);
    options.url = hub.url;
    options.token = hub.token;
    if (options.token.empty()) {
        std::fprintf(stderr,
                     "atelier mcp: no token: pass --token, set ATELIER_TOKEN, or run the hub once so that "
                     "%s/token exists\n",
                     config.data_dir.c_str());
        return 2;
    }
    return mcp::run_stdio_bridge(options, STDIN_FILENO, STDOUT_FILENO);
}

} // namespace atelier::app
