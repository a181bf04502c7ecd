// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "agent/hub_tools.h"
#include "api/api_context.h"

namespace atelier::app {

/// The agent's hub tools and asset listing over the api's typed services (api/hub_tools.h): the
/// same functions REST and MCP call. `api` outlives the result.
[[nodiscard]] agent::HubServices make_hub_services(api::ApiContext& api);

} // namespace atelier::app
