// SPDX-License-Identifier: Apache-2.0
#include "app/store_setup.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/accounts.h"

namespace atelier::app {
namespace {

/// The label of the token registered from the data dir; only these are revoked on rotation.
constexpr std::string_view kAdminTokenLabel = "data dir token";

/// Database errors (libpq's especially) can span lines; a start failure must be one line.
std::string one_line(std::string text) {
    for (char& c : text) {
        c = (c == '\n' || c == '\r') ? ' ' : c;
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

} // namespace

Result<HubStore> open_hub_store(const Config& config) {
    auto opened = store::open_store(config.database, config.data_dir);
    if (!opened) {
        const std::string where = config.database.empty() ? config.data_dir + "/atelier.db" : "the database";
        return fail(opened.error().code, one_line(fmt::format("cannot open {}: {}", where, opened.error().message)));
    }
    auto admin = (*opened)->ensure_admin(api::kAdminName);
    if (!admin) {
        return fail(admin.error().code,
                    one_line(fmt::format("cannot create the admin user: {}", admin.error().message)));
    }
    return HubStore{std::move(*opened), std::move(*admin)};
}

Result<void> register_admin_token(store::Store& store, const store::User& admin, std::string_view secret) {
    // The store refuses secrets too short to be tokens (under 16 bytes). A short ATELIER_TOKEN still
    // authenticates — TokenAuth compares it directly — it just is not recorded; earlier data-dir
    // tokens are revoked either way.
    std::string current_id;
    if (auto current = store.register_token(admin.id, kAdminTokenLabel, secret)) {
        current_id = current->id;
    } else if (current.error().code == ErrorCode::InvalidArgument) {
        spdlog::warn("the admin token is not recorded in the store: {}", current.error().message);
    } else {
        return fail(current.error());
    }
    for (const auto& token : ATELIER_TRY(store.list_tokens(admin.id))) {
        if (token.label == kAdminTokenLabel && token.id != current_id) {
            ATELIER_TRY(store.revoke_token(admin.id, token.id));
        }
    }
    return {};
}

std::filesystem::path thumbnails_dir(const Config& config) {
    const std::filesystem::path dir = std::filesystem::path(config.renders_dir) / ".thumbnails";
    const std::filesystem::path before = std::filesystem::path(config.data_dir) / "thumbnails";
    std::error_code error;
    if (std::filesystem::is_directory(before, error) && !std::filesystem::exists(dir, error)) {
        std::filesystem::create_directories(dir.parent_path(), error);
        std::filesystem::rename(before, dir, error);
        if (error) {
            spdlog::warn("the versions' pictures stay in {}: moving them to {} failed: {}", before.string(),
                         dir.string(), error.message());
            return before; // another file system: served from where they are
        }
        spdlog::info("moved the versions' pictures from {} to {}", before.string(), dir.string());
    }
    return dir;
}

} // namespace atelier::app
