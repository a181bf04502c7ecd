// SPDX-License-Identifier: Apache-2.0
#include "api/assets_api.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/files_api.h"
#include "api/json_request.h"
#include "api/media_info.h"

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

nlohmann::json library_assets(const ApiContext& api) {
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
    return items;
}

Result<nlohmann::json> project_assets(ApiContext& api, const std::string& user_id, const std::string& project_id,
                                      std::size_t limit) {
    // Reading a file whole for its header is fine up to this size (a texture, a jingle), not beyond.
    constexpr std::uint64_t kProbedBytes = 16U << 20U;
    const store::Project project = ATELIER_TRY(api.store().get_project(user_id, project_id));
    auto repo = ATELIER_TRY(api.repos().open(project.id));
    const std::string folder = api.assets_dir_of(project.kind) + "/";
    nlohmann::json items = nlohmann::json::array();
    auto head = repo.resolve("HEAD");
    if (!head) {
        return items; // no version yet
    }
    for (const auto& file : ATELIER_TRY(repo.list_files(*head))) {
        if (!file.path.starts_with(folder)) {
            continue;
        }
        if (items.size() >= limit) {
            break;
        }
        nlohmann::json item{{"path", file.path}, {"kind", asset_kind(file.path)}, {"size", file.size}};
        const std::string kind = item["kind"];
        if ((kind == "image" || kind == "audio") && file.size <= kProbedBytes) {
            if (auto bytes = repo.read_file(*head, file.path)) {
                item.update(media_info(*bytes));
            }
        }
        items.push_back(std::move(item));
    }
    return items;
}

net::HttpResponse list_assets(ApiContext& api, const net::HttpRequest&) {
    return json_response(200, {{"library", api.assets_library().string()}, {"assets", library_assets(api)}});
}

} // namespace atelier::api
