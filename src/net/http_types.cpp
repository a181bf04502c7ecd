// SPDX-License-Identifier: Apache-2.0
#include "net/http_types.h"

#include <strings.h>

namespace atelier::net {
namespace {

bool iequals(std::string_view left, std::string_view right) {
    return left.size() == right.size() && strncasecmp(left.data(), right.data(), left.size()) == 0;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::string_view Headers::get(std::string_view name) const {
    for (const auto& [key, value] : m_fields) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return {};
}

bool Headers::contains(std::string_view name) const {
    for (const auto& field : m_fields) {
        if (iequals(field.first, name)) {
            return true;
        }
    }
    return false;
}

void Headers::set(std::string name, std::string value) {
    std::erase_if(m_fields, [&](const auto& field) { return iequals(field.first, name); });
    m_fields.emplace_back(std::move(name), std::move(value));
}

void Headers::add(std::string name, std::string value) {
    m_fields.emplace_back(std::move(name), std::move(value));
}

BodyFile::~BodyFile() {
    std::error_code ignored;
    std::filesystem::remove(m_path, ignored);
}

std::string HttpRequest::cookie(std::string_view name) const {
    std::string_view rest = headers.get("Cookie");
    while (!rest.empty()) {
        const auto end = rest.find(';');
        std::string_view pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') {
            pair.remove_prefix(1);
        }
        const auto equals = pair.find('=');
        if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
            return std::string(pair.substr(equals + 1));
        }
    }
    return {};
}

HttpResponse HttpResponse::json(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers.set("Content-Type", "application/json");
    return response;
}

HttpResponse HttpResponse::text(int status, std::string body, std::string content_type) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers.set("Content-Type", std::move(content_type));
    return response;
}

HttpResponse HttpResponse::error(const Error& error) {
    return json(http_status(error.code), error_body(error));
}

HttpResponse HttpResponse::error(ErrorCode code, std::string message) {
    return HttpResponse::error(Error{code, std::move(message)});
}

bool percent_decode(std::string_view text, std::string& out, bool plus_is_space) {
    out.clear();
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) {
                return false;
            }
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) {
                return false;
            }
            const char decoded = static_cast<char>(high * 16 + low);
            if (decoded == '\0') {
                return false;
            }
            out += decoded;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '\0') {
            return false;
        } else {
            out += c;
        }
    }
    return true;
}

bool parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query) {
    const auto question = target.find('?');
    if (!percent_decode(target.substr(0, question), path, false)) {
        return false;
    }
    if (path.empty() || path.front() != '/') {
        return false;
    }
    if (question == std::string_view::npos) {
        return true;
    }
    std::string_view rest = target.substr(question + 1);
    while (!rest.empty()) {
        const auto end = rest.find('&');
        const std::string_view pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        if (pair.empty()) {
            continue;
        }
        const auto equals = pair.find('=');
        std::string key;
        std::string value;
        if (!percent_decode(pair.substr(0, equals), key, true)) {
            return false;
        }
        if (equals != std::string_view::npos && !percent_decode(pair.substr(equals + 1), value, true)) {
            return false;
        }
        query.emplace(std::move(key), std::move(value));
    }
    return true;
}

} // namespace atelier::net
