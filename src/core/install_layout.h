// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace atelier {

struct EngineKindConfig;

/// Where the files the hub serves and launches live, found from the `atelier` binary's own path so
/// that a checkout, a build tree and an installation at any prefix all work without a config file.
struct InstallLayout {
    std::filesystem::path web_root;       ///< the built web app (index.html and assets/)
    std::filesystem::path engines_dir;    ///< blender/bootstrap.py, remotion/dist/src/main.js, …
    std::filesystem::path config_dir;     ///< atelier.toml, the documented example configuration
    std::filesystem::path assets_library; ///< the CC0 starter asset library (assets/library)
};

/// The layout around `executable` (absolute), or nothing when neither layout matches:
/// - installed: `PREFIX/bin/atelier` with `PREFIX/share/atelier/{web,engines,config}`;
/// - build tree: `CHECKOUT/build/<preset>/atelier` (or any directory below the checkout) with
///   `CHECKOUT/{web/dist,engines,config}`; the checkout is the nearest ancestor holding
///   `config/atelier.toml` and `engines/blender/bootstrap.py`.
[[nodiscard]] std::optional<InstallLayout> find_install_layout(const std::filesystem::path& executable);

/// The running program's path (/proc/self/exe), or empty when the kernel does not say.
[[nodiscard]] std::filesystem::path current_executable();

/// The engine kinds `atelier serve` knows without a config file (DESIGN §12): `blender` (Blender
/// from PATH running the layout's bootstrap.py) and `remotion` (Node running the layout's built
/// engine, new projects from its template). No engine is kept warm (pool 0): a hub started without
/// a config must not start Blender and chromium before anyone opens a session.
[[nodiscard]] std::map<std::string, EngineKindConfig> default_engine_kinds(const InstallLayout& layout);

} // namespace atelier
