// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>

#include "net/http_types.h"

namespace atelier::net {

/// Serves the browser app from one directory: MIME types, weak ETags with 304, a precompressed
/// `.gz` sibling when the client accepts gzip, `index.html` for unknown extension-less paths
/// (client-side routes), and nothing outside the root — `..` segments and symlinks that leave
/// it are answered 404, exactly like a missing file.
class StaticFiles {
public:
    explicit StaticFiles(std::filesystem::path root);
    [[nodiscard]] HttpResponse serve(const HttpRequest& request) const;
    [[nodiscard]] const std::filesystem::path& root() const { return m_root; }

private:
    [[nodiscard]] HttpResponse serve_file(const HttpRequest& request, const std::filesystem::path& file) const;
    std::filesystem::path m_root;
};

/// The Content-Type for a file name, by extension.
[[nodiscard]] std::string_view mime_type(const std::filesystem::path& file);

} // namespace atelier::net
