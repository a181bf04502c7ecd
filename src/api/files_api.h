// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "api/api_context.h"
#include "net/http_types.h"

namespace atelier::api {

/// GET /api/projects/{id}/files/{path}?rev= — the file's bytes at `rev` (default: the project's
/// current version) as an attachment with its Content-Type. A path with `..`, `.`, empty
/// segments, a backslash or a NUL is refused with 400 before anything is read.
[[nodiscard]] net::HttpResponse download_file(ApiContext& api, const net::HttpRequest& request);

/// InvalidArgument unless `path` is relative and inside the project: no `..`, `.` or empty
/// segments, no leading '/', backslash or NUL.
[[nodiscard]] Result<void> check_file_path(std::string_view path);

/// `attachment; filename="..."` for a download of `path`: an ASCII fallback and the exact name in
/// RFC 5987 form.
[[nodiscard]] std::string content_disposition(std::string_view path);

} // namespace atelier::api
