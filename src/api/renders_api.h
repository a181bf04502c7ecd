// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "net/http_types.h"

namespace atelier::api {

/// GET /api/projects/{id}/renders — the project's outputs (what engines wrote to `renders/` and
/// `exports/`), newest first: `{"renders": [{"name", "size", "kind" (render|export), "modified" (ms
/// since the epoch), "version" (the version current when it was written), "url", "live"}]}`.
/// `live`: in a running session's working tree (it may still be replaced); else kept from an
/// ended session. Unfinished files (dot-names, *.part, *.tmp) are not listed.
[[nodiscard]] net::HttpResponse list_renders(ApiContext& api, const net::HttpRequest& request);

/// The items of GET /api/projects/{id}/renders as a JSON array (the typed service behind it and the
/// `list_project_outputs` hub tool). NotFound for another user's project.
[[nodiscard]] Result<nlohmann::json> project_outputs(ApiContext& api, const std::string& user_id,
                                                     const std::string& project_id);

/// GET /api/projects/{id}/renders/{name}[?download=1] — one render's bytes, shown inline (so a
/// <video> or <img> can play it) or, with `download=1`, as an attachment.
[[nodiscard]] net::HttpResponse download_render(ApiContext& api, const net::HttpRequest& request);

/// One finished output of a project, found by name (renders first, then exports).
struct OutputFile {
    std::filesystem::path path;
    std::uint64_t size = 0;
    std::string kind;    ///< render | export
    std::string version; ///< the version current when it was written
};
[[nodiscard]] Result<OutputFile> find_output(ApiContext& api, const std::string& user_id, const std::string& project_id,
                                             const std::string& name);

/// GET /api/projects/{id}/files/renders/{name} and …/files/exports/{name} (no `rev`): the output
/// from the live session or the kept outputs; nothing when `path` names no output folder (the
/// caller serves the file from the repository).
[[nodiscard]] std::optional<net::HttpResponse> download_output(ApiContext& api, const net::HttpRequest& request);

} // namespace atelier::api
