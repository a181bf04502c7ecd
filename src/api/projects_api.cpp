// SPDX-License-Identifier: Apache-2.0
#include "api/projects_api.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_request.h"
#include "api/records_json.h"

namespace atelier::api {
namespace {

/// Longer than any real kind name; bounds what an error message may echo back.
constexpr std::size_t kMaxKindLength = 64;

const std::string& project_id(const net::HttpRequest& request) {
    return request.params.at("id");
}

/// The first commit (the kind's template, or an empty tree) and its version row.
Result<void> create_initial_version(ApiContext& api, const store::User& user, const store::Project& project) {
    const std::string message = "Create project";
    const auto lock = api.lock_project(project.id);
    auto repo =
        ATELIER_TRY(api.repos().create(project.id, api.template_of(project.kind), commit_author(user), message));
    const std::string revision = ATELIER_TRY(repo.resolve("HEAD"));
    ATELIER_TRY(api.store().add_version(user.id, project.id, {revision, message, user.name}));
    return {};
}

Result<net::HttpResponse> create(ApiContext& api, const net::HttpRequest& request) {
    const auto body = ATELIER_TRY(parse_object(request.body, {"name", "kind"}));
    const nlohmann::json project = ATELIER_TRY(create_project(api, request.subject, body));
    auto response = json_response(201, project);
    response.headers.set("Location", fmt::format("/api/projects/{}", project.value("id", "")));
    return response;
}

Result<net::HttpResponse> list(ApiContext& api, const net::HttpRequest& request) {
    const store::PageRequest page = ATELIER_TRY(page_request(request));
    return json_response(200, ATELIER_TRY(list_projects(api, request.subject, page)));
}

Result<net::HttpResponse> get(ApiContext& api, const net::HttpRequest& request) {
    const store::Project project = ATELIER_TRY(api.store().get_project(request.subject, project_id(request)));
    const auto messages = ATELIER_TRY(api.store().list_messages(request.subject, project.id, {}));
    nlohmann::json body = to_json(project);
    const nlohmann::json page = page_json(messages);
    body["messages"] = page["items"];
    body["messages_next_cursor"] = page["next_cursor"];
    return json_response(200, body);
}

Result<net::HttpResponse> update(ApiContext& api, const net::HttpRequest& request) {
    const auto body = ATELIER_TRY(parse_object(request.body, {"name"}));
    store::ProjectUpdate update;
    update.name = ATELIER_TRY(string_field(body, "name", Presence::Optional, kMaxNameLength));
    const store::Project project =
        ATELIER_TRY(api.store().update_project(request.subject, project_id(request), update));
    return json_response(200, to_json(project));
}

Result<net::HttpResponse> remove(ApiContext& api, const net::HttpRequest& request) {
    const std::string& id = project_id(request);
    ATELIER_TRY(api.store().delete_project(request.subject, id));
    // The rows go first: a crash in between leaves an unreferenced repository, never a project
    // whose files are gone.
    {
        const auto lock = api.lock_project(id);
        ATELIER_TRY(api.repos().remove(id));
    }
    if (api.on_deleted) {
        api.on_deleted(request.subject, id);
    }
    net::HttpResponse response;
    response.status = 204;
    return response;
}

Result<net::HttpResponse> messages(ApiContext& api, const net::HttpRequest& request) {
    const store::PageRequest page = ATELIER_TRY(page_request(request));
    return json_response(200,
                         page_json(ATELIER_TRY(api.store().list_messages(request.subject, project_id(request), page))));
}

} // namespace

Result<nlohmann::json> list_projects(ApiContext& api, const std::string& user, const store::PageRequest& page) {
    return page_json(ATELIER_TRY(api.store().list_projects(user, page)));
}

Result<nlohmann::json> create_project(ApiContext& api, const std::string& user_id, const nlohmann::json& fields) {
    ATELIER_TRY(check_object(fields, {"name", "kind"}));
    const std::string name = *ATELIER_TRY(string_field(fields, "name", Presence::Required, kMaxNameLength));
    const std::string kind = *ATELIER_TRY(string_field(fields, "kind", Presence::Required, kMaxKindLength));
    if (!api.knows_kind(kind)) {
        const std::string kinds = api.kind_list();
        return fail(ErrorCode::InvalidArgument,
                    kinds.empty() ? fmt::format("field \"kind\": no engine of kind \"{}\" is configured, and no "
                                                "engine kind is (add an [engines.NAME] table to the config file)",
                                                kind)
                                  : fmt::format("field \"kind\": no engine of kind \"{}\" is configured (configured "
                                                "kinds: {})",
                                                kind, kinds));
    }
    const store::User user = ATELIER_TRY(api.store().get_user(user_id));
    const store::Project created = ATELIER_TRY(api.store().create_project(user.id, {name, kind}));
    if (auto initial = create_initial_version(api, user, created); !initial) {
        // Undo the row so a failed create leaves nothing behind; the caller sees the cause.
        (void)api.store().delete_project(user.id, created.id);
        (void)api.repos().remove(created.id);
        return fail(initial.error());
    }
    return to_json(ATELIER_TRY(api.store().get_project(user.id, created.id)));
}

net::HttpResponse list_projects(ApiContext& api, const net::HttpRequest& request) {
    return respond(list(api, request));
}

net::HttpResponse create_project(ApiContext& api, const net::HttpRequest& request) {
    return respond(create(api, request));
}

net::HttpResponse get_project(ApiContext& api, const net::HttpRequest& request) {
    return respond(get(api, request));
}

net::HttpResponse update_project(ApiContext& api, const net::HttpRequest& request) {
    return respond(update(api, request));
}

net::HttpResponse delete_project(ApiContext& api, const net::HttpRequest& request) {
    return respond(remove(api, request));
}

net::HttpResponse list_messages(ApiContext& api, const net::HttpRequest& request) {
    return respond(messages(api, request));
}

} // namespace atelier::api
