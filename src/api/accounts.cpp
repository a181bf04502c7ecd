// SPDX-License-Identifier: Apache-2.0
#include "api/accounts.h"

namespace atelier::api {

Result<EnsuredUser> find_or_create_user(store::Store& store, std::string_view name,
                                        const std::optional<std::string>& password) {
    if (auto existing = store.find_user_by_name(name)) {
        return EnsuredUser{std::move(*existing), UserOrigin::Existing};
    } else if (existing.error().code != ErrorCode::NotFound) {
        return fail(existing.error());
    }
    auto created = store.create_user({std::string(name), password, store::UserRole::Member});
    if (!created && created.error().code == ErrorCode::Conflict) {
        // Someone else created it between our lookup and our insert.
        return EnsuredUser{ATELIER_TRY(store.find_user_by_name(name)), UserOrigin::Existing};
    }
    if (!created) {
        return fail(created.error());
    }
    return EnsuredUser{std::move(*created), UserOrigin::Created};
}

Result<store::CreatedToken> issue_token(store::Store& store, std::string_view name, std::string_view label) {
    const EnsuredUser ensured = ATELIER_TRY(find_or_create_user(store, name));
    return store.create_token(ensured.user.id, label);
}

} // namespace atelier::api
