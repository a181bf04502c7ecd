// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "engines/engine_directory.h"
#include "engines/launch_tokens.h"
#include "net/router.h"

namespace atelier::api {

/// REST over the connected engines (DESIGN §12): list them, their tools, run one tool call, cancel
/// it, and issue launch tokens for engines started outside the hub's launcher.
struct EnginesApi {
    engines::EngineDirectory& directory;
    engines::LaunchTokens& tokens;
    /// The engine kinds the hub can start (`[engines.<kind>]` of the config), sorted.
    std::vector<std::string> kinds = {};

    /// GET /api/engines → {items: [connected engine…], kinds: [configured kind…]}
    [[nodiscard]] net::HttpResponse list(net::HttpRequest& request) const;
    /// GET /api/engines/{id}/tools
    [[nodiscard]] net::HttpResponse tools(net::HttpRequest& request) const;
    /// POST /api/engines/{id}/call  {tool, arguments, call_id?} → the result or the error, when done
    void call(net::HttpRequest& request, net::HttpResponder responder) const;
    /// DELETE /api/engines/{id}/calls/{call_id}
    [[nodiscard]] net::HttpResponse cancel(net::HttpRequest& request) const;
    /// POST /api/engines/launch-tokens  {kind?, session_id?} → {token}
    [[nodiscard]] net::HttpResponse issue_launch_token(net::HttpRequest& request) const;
};

} // namespace atelier::api
