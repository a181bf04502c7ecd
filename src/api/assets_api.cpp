// SPDX-License-Identifier: Apache-2.0
#include "api/assets_api.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/files_api.h"
#include "api/json_request.h"

namespace atelier::api {

namespace fs = std::filesystem;

std::string asset_kind(std::string_view path) {
    std::string extension(fs::path(path).extension().string());
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto is = [&](std::initializer_list<std::string_view> list) {
        return std::find(list.begin(), list.end(), extension) != list.end();
    };
    if (is({".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg", ".bmp", ".tif", ".tiff"})) {
        return "image";
    }
    if (is({".hdr", ".exr"})) {
        return "hdri";
    }
    if (is({".glb", ".gltf", ".obj", ".fbx", ".stl", ".blend", ".usd", ".usdz"})) {
        return "model";
    }
    if (is({".wav", ".mp3", ".ogg", ".flac", ".m4a", ".aac"})) {
        return "audio";
    }
    if (is({".mp4", ".webm", ".mov", ".mkv"})) {
        return "video";
    }
    if (is({".ttf", ".otf", ".woff", ".woff2"})) {
        return "font";
    }
    if (is({".txt", ".md", ".json", ".csv"})) {
        return "text";
    }
    return "other";
}

Result<fs::path> library_file(const ApiContext& api, std::string_view path) {
    ATELIER_TRY(check_file_path(path));
    std::error_code error;
    const fs::path root = fs::weakly_canonical(api.assets_library(), error);
    const fs::path file = fs::weakly_canonical(root / std::string(path), error);
    const auto [end, rest] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
    if (error || end != root.end() || !fs::is_regular_file(file, error)) {
        return fail(ErrorCode::NotFound, fmt::format("no asset {} in the library", path));
    }
    return file;
}

net::HttpResponse list_assets(ApiContext& api, const net::HttpRequest&) {
    nlohmann::json items = nlohmann::json::array();
    std::error_code error;
    const fs::path& root = api.assets_library();
    std::vector<std::pair<std::string, std::uintmax_t>> files;
    for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with('.')) {
            if (it->is_directory(error)) {
                it.disable_recursion_pending();
            }
            continue;
        }
        if (it->is_symlink(error) || !it->is_regular_file(error)) {
            continue;
        }
        files.emplace_back(fs::relative(it->path(), root, error).generic_string(), it->file_size(error));
    }
    std::sort(files.begin(), files.end());
    for (const auto& [path, size] : files) {
        items.push_back({{"path", path}, {"kind", asset_kind(path)}, {"size", size}});
    }
    return json_response(200, {{"library", root.string()}, {"assets", std::move(items)}});
}

} // namespace atelier::api
