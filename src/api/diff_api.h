// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "api/api_context.h"
#include "net/http_types.h"

namespace atelier::api {

/// GET /api/projects/{id}/versions/{rev}/diff?against={rev2} — what changed from `against`
/// (default: `rev`'s parent) to `rev`: `{"from", "to", "files": [{"path", "old_path"?, "status"
/// (added|modified|deleted|renamed), "binary", "additions", "deletions", "diff"? (unified, text
/// files; "truncated" when cut at 256 KiB), "objects"? (.glb files: glb_object_changes)}]}`.
[[nodiscard]] net::HttpResponse diff_versions(ApiContext& api, const net::HttpRequest& request);

} // namespace atelier::api
