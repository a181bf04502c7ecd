// SPDX-License-Identifier: Apache-2.0
#include "app/token_auth.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/ids.h"

namespace atelier::app {
namespace fs = std::filesystem;

namespace {

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

Result<std::string> create_token_file(const fs::path& path) {
    std::string token = random_hex(32);
    // O_EXCL: two hubs starting at once on one data dir must not overwrite each other's token.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
    }
    const std::string line = token + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!written || !synced) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot write {}", path.string()));
    }
    return token;
}

} // namespace

Result<TokenAuth> TokenAuth::load(const fs::path& data_dir, const std::optional<std::string>& override_token) {
    if (override_token && !override_token->empty()) {
        return TokenAuth(*override_token);
    }
    const fs::path path = data_dir / "token";
    if (!fs::exists(path)) {
        return TokenAuth(ATELIER_TRY(create_token_file(path)));
    }
    std::ifstream file(path);
    std::string token;
    std::getline(file, token);
    token = trim(token);
    if (token.empty()) {
        return fail(ErrorCode::InvalidConfig, fmt::format("{} is empty: delete it to get a new token", path.string()));
    }
    return TokenAuth(std::move(token));
}

void TokenAuth::attach_store(store::Store& store, std::string admin_user_id) {
    m_store = &store;
    m_admin_id = std::move(admin_user_id);
}

std::optional<std::string> TokenAuth::subject_of(std::string_view secret) const {
    if (secret.empty()) {
        return std::nullopt;
    }
    if (constant_time_equals(secret, m_token)) {
        return m_admin_id;
    }
    if (m_store == nullptr) {
        return std::nullopt;
    }
    auto user = m_store->find_user_by_token(secret);
    return user ? std::optional<std::string>(std::move(user->id)) : std::nullopt;
}

std::optional<std::string> TokenAuth::authenticate(const net::HttpRequest& request) const {
    const std::string_view authorization = request.header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() > kBearer.size() && authorization.substr(0, kBearer.size()) == kBearer) {
        return subject_of(authorization.substr(kBearer.size()));
    }
    return subject_of(request.cookie(kCookieName));
}

net::HttpResponse TokenAuth::login(const net::HttpRequest& request) const {
    const auto token = request.query.find("token");
    if (token == request.query.end() || !subject_of(token->second)) {
        // A person who opened a wrong link sees the sign-in page saying so, not a JSON error;
        // scripts (no text/html in Accept) keep the 401.
        if (request.header("accept").find("text/html") != std::string_view::npos) {
            net::HttpResponse response;
            response.status = 302;
            response.headers.set("Location", "/?signin=invalid_token");
            response.headers.set("Cache-Control", "no-store");
            return response;
        }
        return net::HttpResponse::error(ErrorCode::Unauthorized, "that token is not valid for this hub");
    }
    net::HttpResponse response;
    response.status = 302;
    response.headers.set("Location", "/");
    response.headers.set("Set-Cookie",
                         fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", kCookieName, token->second));
    response.headers.set("Cache-Control", "no-store");
    return response;
}

} // namespace atelier::app
