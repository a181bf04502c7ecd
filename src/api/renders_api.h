#pragma once

#include "api/api_context.h"
#include "net/http_types.h"

namespace atelier::api {

/// GET /api/projects/{id}/renders — the project's renders (what engines wrote to `renders/`),
/// newest first: `{"renders": [{"name", "size", "modified" (ms since the epoch), "url", "live"}]}`.
/// `live`: in a running session's working tree (it may still be replaced); else kept from an
/// ended session. Unfinished files (dot-names, *.part, *.tmp) are not listed.
[[nodiscard]] net::HttpResponse list_renders(ApiContext& api, const net::HttpRequest& request);

/// GET /api/projects/{id}/renders/{name}[?download=1] — one render's bytes, shown inline (so a
/// <video> or <img> can play it) or, with `download=1`, as an attachment.
[[nodiscard]] net::HttpResponse download_render(ApiContext& api, const net::HttpRequest& request);

} // namespace atelier::api
