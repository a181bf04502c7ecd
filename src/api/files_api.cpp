// SPDX-License-Identifier: Apache-2.0
#include "api/files_api.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "api/json_request.h"
#include "api/renders_api.h"
#include "api/versions_api.h"
#include "net/static_files.h"

namespace atelier::api {

Result<void> check_file_path(std::string_view path) {
    const auto refuse = [] {
        return fail(ErrorCode::InvalidArgument,
                    "parameter \"path\" must be a relative path inside the project (no '..', '.', empty segments "
                    "or backslashes)");
    };
    if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos ||
        path.find('\0') != std::string_view::npos) {
        return refuse();
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view segment = path.substr(start, end - start);
        if (segment.empty() || segment == "." || segment == "..") {
            return refuse();
        }
        start = end + 1;
    }
    return {};
}

namespace {

Result<net::HttpResponse> download(ApiContext& api, const net::HttpRequest& request) {
    const std::string& id = request.params.at("id");
    const std::string& path = request.params.at("path");
    ATELIER_TRY(check_file_path(path));
    const store::Project project = ATELIER_TRY(api.store().get_project(request.subject, id));
    std::string revision = project.current_version.empty() ? "HEAD" : project.current_version;
    if (const auto rev = request.query.find("rev"); rev != request.query.end()) {
        ATELIER_TRY(check_revision(rev->second, "rev"));
        revision = rev->second;
    }
    auto repo = ATELIER_TRY(api.repos().open(id));
    auto resolved = repo.resolve(revision);
    if (!resolved) {
        return fail(ErrorCode::NotFound, fmt::format("no version {} in this project", revision));
    }
    auto bytes = repo.read_file(*resolved, path);
    if (!bytes) {
        return fail(bytes.error().code, bytes.error().code == ErrorCode::NotFound
                                            ? fmt::format("no file {} at this version", path)
                                            : bytes.error().message);
    }
    net::HttpResponse response;
    response.body = std::move(*bytes);
    response.headers.set("Content-Type", std::string(net::mime_type(path)));
    response.headers.set("Content-Disposition", content_disposition(path));
    response.headers.set("X-Content-Type-Options", "nosniff");
    // A revision's files never change; the current version's may.
    response.headers.set("Cache-Control",
                         request.query.contains("rev") ? "private, max-age=31536000, immutable" : "private, no-cache");
    return response;
}

} // namespace

// `attachment; filename="..."` with an ASCII fallback and the exact name in RFC 5987 form.
std::string content_disposition(std::string_view path) {
    const std::string name = std::filesystem::path(path).filename().string();
    std::string ascii;
    std::string encoded;
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        ascii += (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') ? '_' : c;
        if (std::isalnum(byte) != 0 || c == '.' || c == '-' || c == '_' || c == '~') {
            encoded += c;
        } else {
            encoded += fmt::format("%{:02X}", byte);
        }
    }
    return fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, encoded);
}

net::HttpResponse download_file(ApiContext& api, const net::HttpRequest& request) {
    if (check_file_path(request.params.at("path"))) {
        if (auto output = download_output(api, request)) {
            return std::move(*output);
        }
    }
    return respond(download(api, request));
}

} // namespace atelier::api
