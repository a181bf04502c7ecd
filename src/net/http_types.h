// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace atelier::net {

/// HTTP header fields in arrival order; names compare case-insensitively.
class Headers {
public:
    [[nodiscard]] std::string_view get(std::string_view name) const;
    [[nodiscard]] bool contains(std::string_view name) const;
    /// Replaces every field called `name` with one field.
    void set(std::string name, std::string value);
    void add(std::string name, std::string value);
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& fields() const { return m_fields; }

private:
    std::vector<std::pair<std::string, std::string>> m_fields;
};

/// The body of a request to a streamed route, on disk instead of in memory. The file is removed
/// when the last owner lets go, unless a handler moved it away (rename) first.
class BodyFile {
public:
    BodyFile(std::filesystem::path path, std::uint64_t size) : m_path(std::move(path)), m_size(size) {}
    BodyFile(const BodyFile&) = delete;
    BodyFile& operator=(const BodyFile&) = delete;
    ~BodyFile();
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
    [[nodiscard]] std::uint64_t size() const { return m_size; }

private:
    std::filesystem::path m_path;
    std::uint64_t m_size;
};

/// A request as handlers see it: no Beast types, owned strings, easy to build in tests.
struct HttpRequest {
    std::string method; ///< upper case: GET, POST, ...
    std::string target; ///< as received, e.g. "/api/projects?limit=10"
    std::string path;   ///< percent-decoded path without the query
    std::map<std::string, std::string> query;
    Headers headers;
    std::string body;
    /// Set instead of `body` on routes added with Router::add_streamed; a handler that answers
    /// later keeps its own copy of the pointer.
    std::shared_ptr<const BodyFile> body_file;
    std::string remote_address;
    std::map<std::string, std::string> params; ///< filled by the router from `{name}` segments
    std::string route;                         ///< the matched route pattern (a metrics label)
    std::string subject;                       ///< who is authenticated; empty on public routes

    [[nodiscard]] std::string_view header(std::string_view name) const { return headers.get(name); }
    /// The value of cookie `name`, or empty.
    [[nodiscard]] std::string cookie(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    Headers headers;
    std::string body;
    /// When set, the body is this file, streamed from disk (body is ignored).
    std::filesystem::path file;

    static HttpResponse json(int status, std::string body);
    static HttpResponse text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    static HttpResponse error(const Error& error);
    static HttpResponse error(ErrorCode code, std::string message);
};

/// Splits "/a/b?x=1&y=%20" into a decoded path and query map. Returns false on a malformed
/// percent-escape or an embedded NUL.
[[nodiscard]] bool parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`). Returns false on a bad escape.
[[nodiscard]] bool percent_decode(std::string_view text, std::string& out, bool plus_is_space);

} // namespace atelier::net
