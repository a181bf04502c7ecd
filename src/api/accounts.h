// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/store.h"

namespace atelier::api {

/// The name the hub gives the first user, whom the data dir's token authenticates.
inline constexpr std::string_view kAdminName = "admin";

/// Whether a user was made by the call or was already there.
enum class UserOrigin { Created, Existing };

struct EnsuredUser {
    store::User user;
    UserOrigin origin = UserOrigin::Existing;
};

/// The user called `name`, created (as a Member, with `password` if given) when missing. A
/// concurrent creation of the same name is not an error: the other caller's user is returned.
/// The store must already have its admin (ensure_admin), or the new user would become Admin.
[[nodiscard]] Result<EnsuredUser> find_or_create_user(store::Store& store, std::string_view name,
                                                      const std::optional<std::string>& password = std::nullopt);

/// A new API token for the user called `name` (created when missing), labelled `label`.
[[nodiscard]] Result<store::CreatedToken> issue_token(store::Store& store, std::string_view name,
                                                      std::string_view label);

} // namespace atelier::api
