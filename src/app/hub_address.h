// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "core/config.h"

namespace atelier::app {

/// Where a client command (`atelier mcp`, `atelier eval`) finds a running hub, and the token it
/// presents: the flag, else the environment (`ATELIER_URL`, `ATELIER_TOKEN`), else the config's
/// host and port and the data dir's `token` file. `token` is empty when none of them has one.
struct HubAddress {
    std::string url;
    std::string token;
};

[[nodiscard]] HubAddress hub_address(const Config& config, const std::string& url_flag, const std::string& token_flag);

} // namespace atelier::app
