// SPDX-License-Identifier: Apache-2.0
#include "api/sign_in_api.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_request.h"
#include "api/records_json.h"

namespace atelier::api {
namespace {

/// The longest password accepted here (the store accepts 4096 bytes).
constexpr std::size_t kMaxPasswordLength = 4096;

/// "127.0.0.1:5312" → "127.0.0.1", "[::1]:80" → "[::1]": throttling is per host, not per port.
std::string host_of(const std::string& remote_address) {
    const auto colon = remote_address.rfind(':');
    if (colon == std::string::npos || remote_address.find(']', colon) != std::string::npos) {
        return remote_address;
    }
    return remote_address.substr(0, colon);
}

/// A browser sends Origin with every POST; it must be this hub. Without the check, another site
/// could post a form here and sign the user in as somebody else (login CSRF).
bool same_origin(const net::HttpRequest& request) {
    const std::string_view origin = request.header("Origin");
    if (origin.empty()) {
        return true; // not a browser, or a same-origin request of an old one
    }
    const std::string_view host = request.header("Host");
    return origin == fmt::format("http://{}", host) || origin == fmt::format("https://{}", host);
}

net::HttpResponse too_many(std::chrono::seconds wait) {
    // 429 has no ErrorCode of its own (core/error.h); the body keeps the usual error shape.
    const nlohmann::json body{
        {"error",
         {{"code", "rate_limited"},
          {"message", fmt::format("too many failed sign-ins; try again in {} s", std::max<long>(1, wait.count()))}}}};
    auto response = json_response(429, body);
    response.headers.set("Retry-After", std::to_string(std::max<long>(1, wait.count())));
    return response;
}

std::string cookie(std::string_view name, std::string_view value, std::string_view path, bool expire) {
    return fmt::format("{}={}; Path={}; HttpOnly; SameSite=Strict{}", name, value, path, expire ? "; Max-Age=0" : "");
}

} // namespace

SignInApi::SignInApi(store::Store& store, std::string cookie_name)
    : m_store(store), m_cookie_name(std::move(cookie_name)) {}

void SignInApi::sign_in(const net::HttpRequest& request, net::HttpResponder responder) {
    if (!same_origin(request)) {
        return responder.send(error_response({ErrorCode::Forbidden, "cross-origin sign-in refused"}));
    }
    auto body = parse_object(request.body, {"username", "password"});
    if (!body) {
        return responder.send(error_response(body.error()));
    }
    auto username = string_field(*body, "username", Presence::Required, kMaxNameLength);
    auto password = string_field(*body, "password", Presence::Required, kMaxPasswordLength);
    if (!username || !password) {
        return responder.send(error_response(!username ? username.error() : password.error()));
    }
    std::string address = host_of(request.remote_address);
    auto job = [this, address = std::move(address), username = std::move(**username), password = std::move(**password),
                responder = std::make_shared<net::HttpResponder>(std::move(responder))] {
        responder->send(check_password(address, username, password));
    };
    if (!m_passwords.post(std::move(job))) {
        // Only while the hub stops; the dropped job's responder answers 500 on its way out.
        return;
    }
}

net::HttpResponse SignInApi::check_password(const std::string& address, const std::string& username,
                                            const std::string& password) {
    const std::string address_key = "address:" + address;
    const std::string user_key = fmt::format("user:{}/{}", address, username);
    const auto wait =
        std::max(m_throttle.retry_after(address_key, kAddressLimit), m_throttle.retry_after(user_key, kUserLimit));
    if (wait.count() > 0) {
        return too_many(wait);
    }
    auto user = m_store.verify_password(username, password);
    if (!user) {
        if (user.error().code != ErrorCode::Unauthorized) {
            return error_response(user.error()); // the database, not the password
        }
        m_throttle.record_failure(address_key, kAddressLimit);
        m_throttle.record_failure(user_key, kUserLimit);
        return error_response({ErrorCode::Unauthorized, "wrong user name or password"});
    }
    m_throttle.forget(user_key);
    auto token = m_store.create_token(user->id, "browser sign-in");
    if (!token) {
        return error_response(token.error());
    }
    auto response = json_response(200, {{"user", to_json(*user)}});
    response.headers.add("Set-Cookie", cookie(m_cookie_name, token->secret, "/", false));
    response.headers.add("Set-Cookie", cookie(kSignInCookie, token->token.id, "/api/logout", false));
    response.headers.set("Cache-Control", "no-store");
    return response;
}

net::HttpResponse SignInApi::sign_out(const net::HttpRequest& request, const std::optional<std::string>& subject) {
    if (!same_origin(request)) {
        return error_response({ErrorCode::Forbidden, "cross-origin sign-out refused"});
    }
    const std::string token_id = request.cookie(kSignInCookie);
    if (subject && !token_id.empty()) {
        // NotFound: the token was revoked already, or the cookie names another user's token.
        if (auto revoked = m_store.revoke_token(*subject, token_id);
            !revoked && revoked.error().code != ErrorCode::NotFound) {
            return error_response(revoked.error());
        }
    }
    net::HttpResponse response;
    response.status = 204;
    response.headers.add("Set-Cookie", cookie(m_cookie_name, "", "/", true));
    response.headers.add("Set-Cookie", cookie(kSignInCookie, "", "/api/logout", true));
    response.headers.set("Cache-Control", "no-store");
    return response;
}

} // namespace atelier::api
