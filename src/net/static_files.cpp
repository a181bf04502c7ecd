// SPDX-License-Identifier: Apache-2.0
#include "net/static_files.h"

#include <array>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace atelier::net {
namespace fs = std::filesystem;
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kMimeTypes{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".wasm", "application/wasm"},
    {".mp4", "video/mp4"},
    {".webm", "video/webm"},
    {".glb", "model/gltf-binary"},
    {".gltf", "model/gltf+json"},
    {".blend", "application/x-blender"},
}};

HttpResponse not_found(std::string_view path) {
    return HttpResponse::error(ErrorCode::NotFound, fmt::format("no file {}", path));
}

// True when `candidate` (already canonical) lies inside `root` (canonical).
bool is_within(const fs::path& root, const fs::path& candidate) {
    auto root_it = root.begin();
    auto candidate_it = candidate.begin();
    for (; root_it != root.end(); ++root_it, ++candidate_it) {
        if (candidate_it == candidate.end() || *root_it != *candidate_it) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string_view mime_type(const fs::path& file) {
    const std::string extension = file.extension().string();
    for (const auto& [known, type] : kMimeTypes) {
        if (extension == known) {
            return type;
        }
    }
    return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path root) : m_root(std::move(root)) {
    std::error_code error;
    if (auto canonical = fs::canonical(m_root, error); !error) {
        m_root = std::move(canonical);
    }
}

HttpResponse StaticFiles::serve(const HttpRequest& request) const {
    if (request.method != "GET" && request.method != "HEAD") {
        return HttpResponse::error(ErrorCode::MethodNotAllowed, "static files answer GET and HEAD only");
    }
    fs::path relative;
    std::string_view path = request.path;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (segment.empty() || segment == ".") {
            continue;
        }
        if (segment == ".." || segment.find('\\') != std::string_view::npos) {
            return not_found(request.path);
        }
        relative /= segment;
    }

    const bool wants_directory = relative.empty() || request.path.back() == '/';
    fs::path candidate = wants_directory ? m_root / relative / "index.html" : m_root / relative;
    std::error_code error;
    if (!fs::exists(candidate, error)) {
        // A path without an extension is a client-side route of the single-page app.
        if (!relative.empty() && relative.filename().has_extension()) {
            return not_found(request.path);
        }
        candidate = m_root / "index.html";
    }
    const fs::path resolved = fs::canonical(candidate, error);
    if (error || !is_within(m_root, resolved) || !fs::is_regular_file(resolved, error)) {
        return not_found(request.path);
    }
    return serve_file(request, resolved);
}

HttpResponse StaticFiles::serve_file(const HttpRequest& request, const fs::path& file) const {
    std::error_code error;
    const auto size = fs::file_size(file, error);
    const auto modified = fs::last_write_time(file, error);
    if (error) {
        return not_found(request.path);
    }
    const auto stamp = modified.time_since_epoch().count();
    const std::string etag = fmt::format("W/\"{:x}-{:x}\"", size, stamp);

    HttpResponse response;
    response.headers.set("Content-Type", std::string(mime_type(file)));
    response.headers.set("ETag", etag);
    response.headers.set("Vary", "Accept-Encoding");
    // Vite puts content-hashed files under assets/: those never change under one name.
    const bool immutable = file.parent_path().filename() == "assets";
    response.headers.set("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");

    if (request.header("If-None-Match") == etag) {
        response.status = 304;
        return response;
    }
    response.file = file;
    if (request.header("Accept-Encoding").find("gzip") != std::string_view::npos) {
        fs::path compressed = file;
        compressed += ".gz";
        const fs::path resolved = fs::canonical(compressed, error);
        if (!error && is_within(m_root, resolved) && fs::is_regular_file(resolved, error)) {
            response.file = resolved;
            response.headers.set("Content-Encoding", "gzip");
        }
    }
    return response;
}

} // namespace atelier::net
