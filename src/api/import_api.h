// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "net/router.h"

namespace atelier::api {

/// What to bring into a project from another of the user's projects: one of its outputs
/// (`render`: a name from its renders list, render or export), or one file of a version (`path` at
/// `rev`, default its current version). `to`: where it goes; empty means the target kind's asset
/// folder (ApiContext::assets_dir_of) with the source's file name; ending in '/' means that folder.
struct ImportRequest {
    std::string asset; ///< instead of from_project: a path in the local asset library (GET /api/assets)
    std::string from_project;
    std::string render;
    std::string path;
    std::string rev;
    std::string to;
};

struct ImportResult {
    std::string path;
    std::string version;
};

/// The one service behind POST /api/projects/{id}/import and the `import_from_project` tool:
/// copies the file in and commits "import <what> from <project name>" (the body records the source
/// project and version), through the live session when there is one. NotFound for another user's
/// project or a missing file; InvalidArgument for a bad request. `done` is called once.
void import_from_project(ApiContext& api, const std::string& user_id, const std::string& project_id,
                         const ImportRequest& what, std::function<void(Result<ImportResult>)> done);

/// A file a user attached to a chat message.
struct Attachment {
    std::string name;       ///< as the user's file was called; may be empty
    std::string media_type; ///< e.g. image/png: gives the extension of a nameless one
    std::string bytes;
};

/// Keeps chat attachments as files of the project's asset folder: one version "attach <names>" by
/// the user, through the live session when there is one (apply_file_edits). Names are reduced to
/// letters, digits, '.', '-' and '_' and made unique against the current version (`logo-2.png`).
/// `done` gets `{"paths": [...], "version"}`, once.
void keep_attachments(ApiContext& api, const std::string& user_id, const std::string& project_id,
                      std::vector<Attachment> attachments, std::function<void(Result<nlohmann::json>)> done);

/// POST /api/projects/{id}/import `{"from_project", "render"}`, `{"from_project", "path", "rev"?}` or
/// `{"asset"}` (the local library),
/// optional `"to"` → 201 `{"path", "version"}`.
void import_file(ApiContext& api, net::HttpRequest& request, net::HttpResponder responder);

} // namespace atelier::api
