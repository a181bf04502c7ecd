// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace atelier::agent {

/// The project's assets as the model reads them, after the scene in each step's context
/// (ModelRequest::context): "# The project's assets", one line per file — path, kind, size, and
/// image dimensions or audio/video duration when the listing has them — then how to use them
/// (`staticFile("…")` for files under `public/`). `assets` is HubServices::assets' listing
/// (`[{"path", "kind", "size", "width"?, "height"?, "duration_s"?}]`). Within about `limit`
/// characters: the files that do not fit are counted. Empty when there are no assets.
[[nodiscard]] std::string build_assets_section(const nlohmann::json& assets, std::size_t limit = 3000);

/// `context` (build_context()'s) followed by the assets section, when there is one.
[[nodiscard]] std::string with_assets(std::string context, const std::string& assets_section);

} // namespace atelier::agent
