// SPDX-License-Identifier: Apache-2.0
#include "api/upload_api.h"

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/files_api.h"
#include "api/json_request.h"

namespace atelier::api {
namespace {

/// Outputs and tool folders are not part of a version: an upload there would vanish.
Result<void> check_writable(std::string_view path) {
    ATELIER_TRY(check_file_path(path));
    const std::string_view top = path.substr(0, path.find('/'));
    if (top == "renders" || top == "exports") {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("{}/ holds outputs, which are not versioned: upload to another folder", top));
    }
    std::size_t start = 0;
    while (start < path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view segment = path.substr(start, end - start);
        if (segment == ".git" || segment == "node_modules") {
            return fail(ErrorCode::InvalidArgument, fmt::format("'{}' folders are never part of a project", segment));
        }
        start = end + 1;
    }
    return {};
}

struct Edit {
    std::string id;
    std::string path;
    store::User user;
    store::Project project;
};

Result<Edit> prepare(ApiContext& api, const net::HttpRequest& request) {
    Edit edit{request.params.at("id"), request.params.at("path"), {}, {}};
    ATELIER_TRY(check_writable(edit.path));
    edit.project = ATELIER_TRY(api.store().get_project(request.subject, edit.id));
    edit.user = ATELIER_TRY(api.store().get_user(request.subject));
    return edit;
}

/// The new version's revision, committed straight to the repository (no live session).
Result<std::string> commit_directly(ApiContext& api, const store::User& user, const store::Project& project,
                                    const std::vector<store::FileEdit>& edits, const std::string& message) {
    std::string revision;
    {
        const auto lock = api.lock_project(project.id);
        auto repo = ATELIER_TRY(api.repos().open(project.id));
        const auto outcome =
            ATELIER_TRY(repo.commit_files(edits, commit_author(user), message, project.current_version));
        revision = outcome.revision;
        if (outcome.created) {
            ATELIER_TRY(
                api.store().add_version(user.id, project.id, {revision, message, user.name, project.current_version}));
        }
    }
    // A session that started meanwhile checked out the version before this one: it reopens.
    if (api.on_restored) {
        api.on_restored(user.id, project.id);
    }
    return revision;
}

void apply(ApiContext& api, const Edit& edit, std::vector<store::FileEdit> edits, const std::string& message,
           std::function<void(Result<std::string>)> answer) {
    apply_file_edits(api, edit.user, edit.project, std::move(edits), message, std::move(answer));
}

bool exists_now(ApiContext& api, const Edit& edit) {
    auto repo = api.repos().open(edit.id);
    if (!repo) {
        return false;
    }
    const auto files = repo->list_files("HEAD");
    if (!files) {
        return false;
    }
    for (const auto& file : *files) {
        if (file.path == edit.path) {
            return true;
        }
    }
    return false;
}

} // namespace

void apply_file_edits(ApiContext& api, const store::User& user, const store::Project& project,
                      std::vector<store::FileEdit> edits, const std::string& message,
                      std::function<void(Result<std::string>)> done) {
    if (api.edit_through_session && api.edit_through_session(user.id, project.id, edits, message, done)) {
        return;
    }
    done(commit_directly(api, user, project, edits, message));
}

void upload_file(ApiContext& api, net::HttpRequest& request, net::HttpResponder responder) {
    auto edit = prepare(api, request);
    if (!edit) {
        return responder.send(net::HttpResponse::error(edit.error()));
    }
    if (!request.body_file) {
        return responder.send(net::HttpResponse::error(ErrorCode::Internal, "the upload's body was not streamed"));
    }
    const bool replaced = exists_now(api, *edit);
    auto body = request.body_file; // kept alive until the edit is done with the file
    auto reply = std::make_shared<net::HttpResponder>(std::move(responder));
    const std::string path = edit->path;
    apply(api, *edit, {store::FileEdit{path, body->path()}}, fmt::format("upload {}", path),
          [reply, body, path, replaced](Result<std::string> revision) {
              if (!revision) {
                  return reply->send(net::HttpResponse::error(revision.error()));
              }
              reply->send(json_response(replaced ? 200 : 201,
                                        {{"path", path}, {"size", body->size()}, {"version", *revision}}));
          });
}

void delete_file(ApiContext& api, net::HttpRequest& request, net::HttpResponder responder) {
    auto edit = prepare(api, request);
    if (!edit) {
        return responder.send(net::HttpResponse::error(edit.error()));
    }
    if (!exists_now(api, *edit)) {
        return responder.send(net::HttpResponse::error(ErrorCode::NotFound,
                                                       fmt::format("no file {} in the current version", edit->path)));
    }
    auto reply = std::make_shared<net::HttpResponder>(std::move(responder));
    const std::string path = edit->path;
    apply(api, *edit, {store::FileEdit{path, std::nullopt}}, fmt::format("delete {}", path),
          [reply, path](Result<std::string> revision) {
              if (!revision) {
                  return reply->send(net::HttpResponse::error(revision.error()));
              }
              reply->send(json_response(200, {{"path", path}, {"version", *revision}}));
          });
}

} // namespace atelier::api
