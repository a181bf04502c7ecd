// SPDX-License-Identifier: Apache-2.0
#include "api/tokens_api.h"

#include <nlohmann/json.hpp>

#include "api/accounts.h"
#include "api/json_request.h"
#include "api/records_json.h"

namespace atelier::api {
namespace {

Result<net::HttpResponse> create(ApiContext& api, const net::HttpRequest& request) {
    const store::User caller = ATELIER_TRY(api.store().get_user(request.subject));
    if (caller.role != store::UserRole::Admin) {
        return fail(ErrorCode::Forbidden, "only an admin can create tokens");
    }
    const auto body = ATELIER_TRY(parse_object(request.body, {"user", "label"}));
    const std::string name = *ATELIER_TRY(string_field(body, "user", Presence::Required, kMaxNameLength));
    const std::string label =
        ATELIER_TRY(string_field(body, "label", Presence::Optional, kMaxLabelLength)).value_or("");
    const EnsuredUser ensured = ATELIER_TRY(find_or_create_user(api.store(), name));
    const store::CreatedToken token = ATELIER_TRY(api.store().create_token(ensured.user.id, label));
    return json_response(201, {{"id", token.token.id},
                               {"token", token.secret},
                               {"label", token.token.label},
                               {"created_at", token.token.created_at},
                               {"user", to_json(ensured.user)},
                               {"user_created", ensured.origin == UserOrigin::Created}});
}

} // namespace

net::HttpResponse create_token(ApiContext& api, const net::HttpRequest& request) {
    return respond(create(api, request));
}

} // namespace atelier::api
