// SPDX-License-Identifier: Apache-2.0
// The credentials a request carries: the `Authorization: Bearer` header and the `atelier_token`
// cookie, read by app/token_auth.cpp and HttpRequest::cookie. The input is split at its first
// newline into the Authorization value and the Cookie value. Properties: nothing throws; the
// request is authenticated only when one of the two values carries the hub's token exactly; a
// cookie that is found is a substring of the Cookie header.
#include <filesystem>

#include "app/token_auth.h"
#include "fuzz_check.h"

using namespace atelier;

namespace {

constexpr std::string_view kToken = "f00dfeedf00dfeedf00dfeedf00dfeed";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto auth = app::TokenAuth::load(std::filesystem::temp_directory_path(), std::string(kToken));
    ATELIER_FUZZ_CHECK(auth.has_value());
    const std::string_view input = atelier::fuzz::as_text(data, size);
    const auto newline = input.find('\n');
    const std::string_view authorization = input.substr(0, newline);
    const std::string_view cookies = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

    net::HttpRequest request;
    request.headers.add("Authorization", std::string(authorization));
    request.headers.add("Cookie", std::string(cookies));
    const std::string cookie = request.cookie(app::TokenAuth::kCookieName);
    ATELIER_FUZZ_CHECK(cookie.empty() || cookies.find(cookie) != std::string_view::npos);
    ATELIER_FUZZ_CHECK(cookie.find(';') == std::string::npos);

    const auto subject = auth->authenticate(request);
    const bool bearer = authorization == "Bearer " + std::string(kToken);
    if (subject) {
        ATELIER_FUZZ_CHECK(bearer || cookie == kToken);
    } else {
        ATELIER_FUZZ_CHECK(!bearer);
        const bool bearer_form = authorization.size() > 7 && authorization.substr(0, 7) == "Bearer ";
        ATELIER_FUZZ_CHECK(bearer_form || cookie != kToken);
    }
    return 0;
}
