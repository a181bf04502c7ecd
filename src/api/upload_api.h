// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "api/api_context.h"
#include "net/router.h"

namespace atelier::api {

/// Commits `edits` (paths already checked) to `project` as one version with `message`: through its
/// live session when it has one (see ApiContext::edit_through_session), else straight to the
/// repository on top of the project's current version. `done` gets the revision, once.
void apply_file_edits(ApiContext& api, const store::User& user, const store::Project& project,
                      std::vector<store::FileEdit> edits, const std::string& message,
                      std::function<void(Result<std::string>)> done);

/// PUT /api/projects/{id}/files/{path} (a streamed route: the body arrives as a file). The file
/// becomes `path` in a new version "upload <path>" by the user; with a live session it lands in
/// the session's working tree and is committed with it (the engine hears `project/files_changed`).
/// Answers `{"path", "size", "version"}`: 201 for a new file, 200 for a replaced one. Paths as for
/// downloads (400 on `..`, absolute, backslash); `renders/` and `exports/` are outputs, never
/// uploaded (400).
void upload_file(ApiContext& api, net::HttpRequest& request, net::HttpResponder responder);

/// DELETE /api/projects/{id}/files/{path}: a new version "delete <path>" without the file;
/// `{"path", "version"}`. 404 when the current version has no such file.
void delete_file(ApiContext& api, net::HttpRequest& request, net::HttpResponder responder);

} // namespace atelier::api
