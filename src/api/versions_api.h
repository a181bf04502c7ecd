// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "api/api_context.h"
#include "core/result.h"
#include "net/http_types.h"
#include "store/records.h"

namespace atelier::api {

/// GET /api/projects/{id}/versions?limit=&cursor= — version rows, newest first, each with the
/// files its commit changed (read from the project's repository).
[[nodiscard]] net::HttpResponse list_versions(ApiContext& api, const net::HttpRequest& request);

/// POST /api/projects/{id}/versions/{rev}/restore [{"message"}] — a new commit whose files equal
/// `rev`'s, recorded as a new version; 201 with that version. History is never rewritten.
[[nodiscard]] net::HttpResponse restore_version(ApiContext& api, const net::HttpRequest& request);

// The services behind those routes, for callers that are not HTTP requests (MCP's tools): the
// same checks and errors; the result is the route's JSON body.

/// The project's versions, newest first (GET …/versions's body).
[[nodiscard]] Result<nlohmann::json> list_versions(ApiContext& api, const std::string& user,
                                                   const std::string& project_id, const store::PageRequest& page);
/// Restores `revision` as a new version (POST …/restore's body).
[[nodiscard]] Result<nlohmann::json> restore_version(ApiContext& api, const std::string& user,
                                                     const std::string& project_id, const std::string& revision,
                                                     const std::string& message = {});

/// Checks that `revision` looks like a git object id (4–40 hex digits); InvalidArgument naming
/// `field` otherwise. Symbolic names (HEAD~1, branch names) are deliberately not accepted.
[[nodiscard]] Result<void> check_revision(std::string_view revision, std::string_view field);

} // namespace atelier::api
