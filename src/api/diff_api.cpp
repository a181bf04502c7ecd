// SPDX-License-Identifier: Apache-2.0
#include "api/diff_api.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/glb_scene.h"
#include "api/json_request.h"
#include "api/versions_api.h"

namespace atelier::api {
namespace {

constexpr std::size_t k_max_patch_bytes = 256 * 1024;

/// A file's bytes at `revision`, or empty when it is not there (added or deleted).
std::string bytes_at(store::ProjectRepo& repo, const std::string& revision, const std::string& path) {
    if (revision.empty() || path.empty()) {
        return {};
    }
    auto bytes = repo.read_file(revision, path);
    return bytes ? std::move(*bytes) : std::string();
}

Result<net::HttpResponse> diff(ApiContext& api, const net::HttpRequest& request) {
    const std::string& id = request.params.at("id");
    const std::string& revision = request.params.at("rev");
    ATELIER_TRY(check_revision(revision, "rev"));
    std::string against;
    if (const auto it = request.query.find("against"); it != request.query.end()) {
        ATELIER_TRY(check_revision(it->second, "against"));
        against = it->second;
    }
    ATELIER_TRY(api.store().get_project(request.subject, id)); // 404 for someone else's project
    auto repo = ATELIER_TRY(api.repos().open(id));
    const store::RepoDiff changes = ATELIER_TRY(repo.file_diff(against, revision, k_max_patch_bytes));
    nlohmann::json files = nlohmann::json::array();
    for (const auto& file : changes.files) {
        nlohmann::json item{{"path", file.path},
                            {"status", store::diff_status_name(file.status)},
                            {"binary", file.binary},
                            {"additions", file.additions},
                            {"deletions", file.deletions}};
        if (!file.old_path.empty()) {
            item["old_path"] = file.old_path;
        }
        if (!file.binary) {
            item["diff"] = file.patch;
            if (file.truncated) {
                item["truncated"] = true;
            }
        }
        if (file.path.ends_with(".glb")) {
            const std::string& old_path = file.old_path.empty() ? file.path : file.old_path;
            const std::string before =
                file.status == store::DiffStatus::Added ? std::string() : bytes_at(repo, changes.from, old_path);
            const std::string after =
                file.status == store::DiffStatus::Deleted ? std::string() : bytes_at(repo, changes.to, file.path);
            auto objects = glb_object_changes(before, after);
            item["objects"] = objects ? *objects : nlohmann::json{{"error", objects.error().message}};
        }
        files.push_back(std::move(item));
    }
    return json_response(200, {{"from", changes.from.empty() ? nlohmann::json(nullptr) : nlohmann::json(changes.from)},
                               {"to", changes.to},
                               {"files", std::move(files)}});
}

} // namespace

net::HttpResponse diff_versions(ApiContext& api, const net::HttpRequest& request) {
    return respond(diff(api, request));
}

} // namespace atelier::api
