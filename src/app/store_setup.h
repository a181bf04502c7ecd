// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/config.h"
#include "core/result.h"
#include "store/store.h"

namespace atelier::app {

/// The configured store, opened and migrated, with its admin user.
struct HubStore {
    std::unique_ptr<store::Store> store;
    store::User admin;
};

/// Opens `config.database` (empty → SQLite in `config.data_dir`) and makes sure the first user,
/// the admin, exists — before anything else can create a user, so that no CLI-made or REST-made
/// user ever becomes admin by being first. Used by `serve` and by the user/token commands.
[[nodiscard]] Result<HubStore> open_hub_store(const Config& config);

/// Records the admin token (the data dir's `token` file or ATELIER_TOKEN) as the admin's API
/// token and revokes earlier ones of that origin, so a replaced token file stops working. A secret
/// the store refuses as too short is only logged: TokenAuth still accepts it directly.
[[nodiscard]] Result<void> register_admin_token(store::Store& store, const store::User& admin, std::string_view secret);

/// Where the versions' pictures live: `<renders_dir>/.thumbnails`, beside the renders (outputs of
/// the project too), so the hubs of a cluster that share the renders dir share them. Pictures of a
/// hub from before (`<data_dir>/thumbnails`) are moved there once.
[[nodiscard]] std::filesystem::path thumbnails_dir(const Config& config);

} // namespace atelier::app
