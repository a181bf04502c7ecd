// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "api/api_context.h"
#include "net/http_types.h"
#include "store/records.h"

namespace atelier::api {

// Projects and their messages (DESIGN §12). `request.subject` is the acting user's id; another
// user's project answers 404 exactly like a missing one. Shapes and errors: docs/api.md.

/// GET /api/projects?limit=&cursor= — the user's projects, newest first.
[[nodiscard]] net::HttpResponse list_projects(ApiContext& api, const net::HttpRequest& request);
/// POST /api/projects {"name","kind"} — 201 with the project and its first version.
[[nodiscard]] net::HttpResponse create_project(ApiContext& api, const net::HttpRequest& request);
/// GET /api/projects/{id} — the project with the first page of its messages.
[[nodiscard]] net::HttpResponse get_project(ApiContext& api, const net::HttpRequest& request);
/// PATCH /api/projects/{id} {"name"} — renames.
[[nodiscard]] net::HttpResponse update_project(ApiContext& api, const net::HttpRequest& request);
/// DELETE /api/projects/{id} — the project, its rows and its repository; 204.
[[nodiscard]] net::HttpResponse delete_project(ApiContext& api, const net::HttpRequest& request);
/// GET /api/projects/{id}/messages?limit=&cursor= — oldest first.
[[nodiscard]] net::HttpResponse list_messages(ApiContext& api, const net::HttpRequest& request);

// The services behind those routes, for callers that are not HTTP requests (MCP's tools): the
// same checks and errors; the result is the route's JSON body.

/// The user's projects, newest first (GET /api/projects's body).
[[nodiscard]] Result<nlohmann::json> list_projects(ApiContext& api, const std::string& user,
                                                   const store::PageRequest& page);
/// A new project from `{"name","kind"}` (POST /api/projects's body).
[[nodiscard]] Result<nlohmann::json> create_project(ApiContext& api, const std::string& user,
                                                    const nlohmann::json& fields);

} // namespace atelier::api
