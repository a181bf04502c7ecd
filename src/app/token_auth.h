// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"
#include "net/http_types.h"
#include "store/store.h"

namespace atelier::app {

/// The admin token: read from the data dir's `token` file (created with mode 0600 on first
/// start) unless `ATELIER_TOKEN` overrides it. Requests prove it with `Authorization: Bearer`
/// or with the HttpOnly cookie that `/?token=` sets. Once a store is attached, the other users'
/// API tokens are accepted the same ways, looked up by hash (never compared byte by byte).
class TokenAuth {
public:
    [[nodiscard]] static Result<TokenAuth> load(const std::filesystem::path& data_dir,
                                                const std::optional<std::string>& override_token);

    /// From now on, the admin token authenticates as `admin_user_id` and any other secret is
    /// looked up in `store` (which must outlive this object).
    void attach_store(store::Store& store, std::string admin_user_id);

    /// The subject (user id; "admin" before a store is attached) when the request carries a
    /// valid token. The admin token is compared in constant time.
    [[nodiscard]] std::optional<std::string> authenticate(const net::HttpRequest& request) const;

    /// `GET /?token=...`: sets the cookie and redirects to `/` when the token is right.
    [[nodiscard]] net::HttpResponse login(const net::HttpRequest& request) const;

    [[nodiscard]] const std::string& token() const { return m_token; }
    /// Whom the admin token authenticates as.
    [[nodiscard]] const std::string& admin_id() const { return m_admin_id; }

    static constexpr const char* kCookieName = "atelier_token";

private:
    explicit TokenAuth(std::string token) : m_token(std::move(token)) {}
    /// The user a presented secret belongs to.
    [[nodiscard]] std::optional<std::string> subject_of(std::string_view secret) const;

    std::string m_token;
    store::Store* m_store = nullptr;
    std::string m_admin_id = "admin";
};

} // namespace atelier::app
