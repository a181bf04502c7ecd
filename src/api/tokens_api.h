// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "api/api_context.h"
#include "net/http_types.h"

namespace atelier::api {

/// POST /api/tokens {"user", "label"} — admin only (403 otherwise). Creates the user when there
/// is none of that name and answers 201 with a new token; the secret is shown here and never again.
[[nodiscard]] net::HttpResponse create_token(ApiContext& api, const net::HttpRequest& request);

} // namespace atelier::api
