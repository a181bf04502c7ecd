// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "api/api_context.h"
#include "net/http_types.h"

namespace atelier::api {

/// What a file is, by its extension: image, hdri, model, audio, video, font, text or other.
[[nodiscard]] std::string asset_kind(std::string_view path);

/// The library file `path` names (relative, confined to the library; NotFound when missing).
[[nodiscard]] Result<std::filesystem::path> library_file(const ApiContext& api, std::string_view path);

/// GET /api/assets — the local asset library (`[assets] library`, docs/files.md), sorted by path:
/// `{"library": dir, "assets": [{"path", "kind", "size"}]}`. Dot-files are skipped; symlinks are not
/// followed out of the library.
[[nodiscard]] net::HttpResponse list_assets(ApiContext& api, const net::HttpRequest& request);

} // namespace atelier::api
