// SPDX-License-Identifier: Apache-2.0
#include "api/versions_api.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_request.h"
#include "api/records_json.h"

namespace atelier::api {
namespace {

/// The files `revision` changed, or none when the repository cannot tell (a commit missing after
/// a restore from backups taken apart; listing versions should still work).
std::vector<store::FileChange> changes_of(Result<store::ProjectRepo>& repo, const std::string& revision) {
    if (!repo) {
        return {};
    }
    auto version = repo->version(revision);
    return version ? std::move(version->changes) : std::vector<store::FileChange>{};
}

Result<net::HttpResponse> list(ApiContext& api, const net::HttpRequest& request) {
    const store::PageRequest page = ATELIER_TRY(page_request(request));
    return json_response(200, ATELIER_TRY(list_versions(api, request.subject, request.params.at("id"), page)));
}

Result<net::HttpResponse> restore(ApiContext& api, const net::HttpRequest& request) {
    std::string message;
    if (!request.body.empty()) {
        const auto body = ATELIER_TRY(parse_object(request.body, {"message"}));
        message = ATELIER_TRY(string_field(body, "message", Presence::Optional, 4096)).value_or("");
    }
    return json_response(201, ATELIER_TRY(restore_version(api, request.subject, request.params.at("id"),
                                                          request.params.at("rev"), message)));
}

} // namespace

Result<nlohmann::json> list_versions(ApiContext& api, const std::string& user, const std::string& id,
                                     const store::PageRequest& page) {
    const auto versions = ATELIER_TRY(api.store().list_versions(user, id, page));
    auto repo = api.repos().open(id);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& version : versions.items) {
        items.push_back(to_json(version, changes_of(repo, version.revision)));
    }
    return nlohmann::json{
        {"items", std::move(items)},
        {"next_cursor", versions.next_cursor.empty() ? nlohmann::json(nullptr) : nlohmann::json(versions.next_cursor)}};
}

Result<nlohmann::json> restore_version(ApiContext& api, const std::string& user_id, const std::string& id,
                                       const std::string& revision, const std::string& message) {
    ATELIER_TRY(check_revision(revision, "rev"));
    // Ownership first: nothing about another user's repository may leak, not even an error.
    ATELIER_TRY(api.store().get_project(user_id, id));
    const store::User user = ATELIER_TRY(api.store().get_user(user_id));

    const auto lock = api.lock_project(id);
    auto repo = ATELIER_TRY(api.repos().open(id));
    auto target = repo.resolve(revision);
    if (!target && target.error().code == ErrorCode::NotFound) {
        return fail(ErrorCode::NotFound, fmt::format("no version {} in this project", revision));
    }
    if (!target) {
        return fail(target.error()); // the repository failed (a full disk): a server error with its reason
    }
    const std::string restored = ATELIER_TRY(repo.restore(*target, commit_author(user), message));
    const store::RepoVersion commit = ATELIER_TRY(repo.version(restored));
    const store::Version version =
        ATELIER_TRY(api.store().add_version(user.id, id, {restored, commit.message, user.name}));
    if (api.on_restored) {
        api.on_restored(user.id, id);
    }
    return to_json(version, commit.changes);
}

Result<void> check_revision(std::string_view revision, std::string_view field) {
    const bool hex = revision.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    if (!hex || revision.size() < 4 || revision.size() > 40) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("parameter \"{}\" must be a revision id (4 to 40 hex digits)", field));
    }
    return {};
}

net::HttpResponse list_versions(ApiContext& api, const net::HttpRequest& request) {
    return respond(list(api, request));
}

net::HttpResponse restore_version(ApiContext& api, const net::HttpRequest& request) {
    return respond(restore(api, request));
}

} // namespace atelier::api
