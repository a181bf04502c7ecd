// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "net/http_types.h"

namespace atelier::api {

/// What a file is, by its extension: image, hdri, model, audio, video, font, text or other.
[[nodiscard]] std::string asset_kind(std::string_view path);

/// The library file `path` names (relative, confined to the library; NotFound when missing).
[[nodiscard]] Result<std::filesystem::path> library_file(const ApiContext& api, std::string_view path);

/// The library's files as GET /api/assets lists them: `[{"path", "kind", "size"}]`.
[[nodiscard]] nlohmann::json library_assets(const ApiContext& api);

/// The project's asset files at its current version, for the agent's prompt: every file under its
/// kind's asset folder (ApiContext::assets_dir_of), sorted by path, at most `limit`, as `[{"path",
/// "kind", "size"}]` plus what media_info() reads from images and WAV files of at most 16 MiB
/// (`width`, `height`; `duration_s`). NotFound for another user's project.
[[nodiscard]] Result<nlohmann::json> project_assets(ApiContext& api, const std::string& user_id,
                                                    const std::string& project_id, std::size_t limit = 200);

/// GET /api/assets — the local asset library (`[assets] library`, docs/files.md), sorted by path:
/// `{"library": dir, "assets": [{"path", "kind", "size"}]}`. Dot-files are skipped; symlinks are not
/// followed out of the library.
[[nodiscard]] net::HttpResponse list_assets(ApiContext& api, const net::HttpRequest& request);

} // namespace atelier::api
