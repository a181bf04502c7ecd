#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.h"
#include "net/http_types.h"

namespace atelier::app {

/// The admin token: read from the data dir's `token` file (created with mode 0600 on first
/// start) unless `ATELIER_TOKEN` overrides it. Requests prove it with `Authorization: Bearer`
/// or with the HttpOnly cookie that `/?token=` sets.
class TokenAuth {
public:
    [[nodiscard]] static Result<TokenAuth> load(const std::filesystem::path& data_dir,
                                                const std::optional<std::string>& override_token);

    /// The subject ("admin") when the request carries the token; compared in constant time.
    [[nodiscard]] std::optional<std::string> authenticate(const net::HttpRequest& request) const;

    /// `GET /?token=...`: sets the cookie and redirects to `/` when the token is right.
    [[nodiscard]] net::HttpResponse login(const net::HttpRequest& request) const;

    [[nodiscard]] const std::string& token() const { return m_token; }

    static constexpr const char* kCookieName = "atelier_token";

private:
    explicit TokenAuth(std::string token) : m_token(std::move(token)) {}
    std::string m_token;
};

} // namespace atelier::app
