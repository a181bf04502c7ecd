// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/app_context.h"
#include "net/http_types.h"

namespace atelier::app {

/// GET /api/health: version, uptime and each subsystem's state. 200 when all are "ok", else 503.
[[nodiscard]] net::HttpResponse health(const AppContext& app);

/// GET /metrics: Prometheus text exposition.
[[nodiscard]] net::HttpResponse metrics(const AppContext& app);

} // namespace atelier::app
