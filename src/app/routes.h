// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/app_context.h"
#include "net/router.h"

namespace atelier::app {

/// The hub's route table: every endpoint, its access rule and its handler, in one place.
[[nodiscard]] net::Router build_routes(AppContext& app);

} // namespace atelier::app
