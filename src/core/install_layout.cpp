// SPDX-License-Identifier: Apache-2.0
#include "core/install_layout.h"

#include <system_error>

#include "core/config.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

bool is_file(const fs::path& path) {
    std::error_code error;
    return fs::is_regular_file(path, error);
}

bool is_checkout(const fs::path& dir) {
    return is_file(dir / "config/atelier.toml") && is_file(dir / "engines/blender/bootstrap.py");
}

// How many directories above the binary a checkout may be: build/<preset>/atelier is two, a test
// binary in build/<preset>/tests/<module>/ four.
constexpr int kMaxCheckoutDepth = 5;

} // namespace

std::optional<InstallLayout> find_install_layout(const fs::path& executable) {
    const fs::path bin_dir = executable.lexically_normal().parent_path();
    const fs::path share = bin_dir.parent_path() / "share/atelier";
    if (bin_dir.filename() == "bin" && is_file(share / "config/atelier.toml")) {
        return InstallLayout{share / "web", share / "engines", share / "config", share / "assets/library"};
    }
    fs::path dir = bin_dir;
    for (int depth = 0; depth <= kMaxCheckoutDepth && !dir.empty(); ++depth) {
        if (is_checkout(dir)) {
            return InstallLayout{dir / "web/dist", dir / "engines", dir / "config", dir / "assets/library"};
        }
        if (dir == dir.parent_path()) {
            break;
        }
        dir = dir.parent_path();
    }
    return std::nullopt;
}

fs::path current_executable() {
    std::error_code error;
    auto path = fs::read_symlink("/proc/self/exe", error);
    return error ? fs::path() : path;
}

std::map<std::string, EngineKindConfig> default_engine_kinds(const InstallLayout& layout) {
    std::map<std::string, EngineKindConfig> kinds;
    kinds["blender"].command = {"blender", "-b", "--factory-startup", "--python",
                                (layout.engines_dir / "blender/bootstrap.py").string()};
    kinds["remotion"].command = {"node", (layout.engines_dir / "remotion/dist/src/main.js").string()};
    kinds["remotion"].template_dir = (layout.engines_dir / "remotion/template").string();
    return kinds;
}

} // namespace atelier
