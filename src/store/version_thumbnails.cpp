// SPDX-License-Identifier: Apache-2.0
#include "store/version_thumbnails.h"

#include <algorithm>
#include <fstream>
#include <vector>

#include <fmt/format.h>

namespace atelier::store {
namespace fs = std::filesystem;

namespace {

bool is_hex(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

/// Project ids are UUIDs (hex and dashes): nothing that could leave the root.
bool is_project_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && id.find_first_not_of("0123456789abcdefABCDEF-") == std::string_view::npos;
}

bool is_picture(const fs::path& path) {
    const auto extension = path.extension().string();
    return extension == ".jpg" || extension == ".webp" || extension == ".png";
}

} // namespace

std::optional<fs::path> VersionThumbnails::project_dir(const std::string& project_id) const {
    if (m_root.empty() || !is_project_id(project_id)) {
        return std::nullopt;
    }
    return m_root / project_id;
}

Result<void> VersionThumbnails::put(const std::string& project_id, const std::string& revision, std::string_view image,
                                    std::string_view extension) const {
    const auto dir = project_dir(project_id);
    if (!dir || !is_hex(revision) || revision.size() < 4 || revision.size() > 64) {
        return fail(ErrorCode::InvalidArgument, "a thumbnail needs a project id and a revision id");
    }
    if (extension != "jpg" && extension != "webp" && extension != "png") {
        return fail(ErrorCode::InvalidArgument, fmt::format("no thumbnails of type {}", extension));
    }
    if (image.empty() || image.size() > kMaxBytes) {
        return fail(ErrorCode::InvalidArgument, fmt::format("a thumbnail of {} bytes is not kept", image.size()));
    }
    std::error_code error;
    fs::create_directories(*dir, error);
    if (error) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot create {}: {}", dir->string(), error.message()));
    }
    const fs::path target = *dir / fmt::format("{}.{}", revision, extension);
    const fs::path temporary = *dir / fmt::format(".{}.{}.part", revision, extension);
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(image.data(), static_cast<std::streamsize>(image.size()));
        out.close();
        if (!out) {
            fs::remove(temporary, error);
            return fail(ErrorCode::Unavailable, fmt::format("cannot write {}", temporary.string()));
        }
    }
    // Another format of the same version (the engine switched codecs) would shadow this one.
    for (const char* other : {"jpg", "webp", "png"}) {
        if (extension != other) {
            fs::remove(*dir / fmt::format("{}.{}", revision, other), error);
        }
    }
    fs::rename(temporary, target, error);
    if (error) {
        fs::remove(temporary, error);
        return fail(ErrorCode::Unavailable, fmt::format("cannot write {}", target.string()));
    }

    // Keep the newest kKeepPerProject.
    std::vector<std::pair<fs::file_time_type, fs::path>> pictures;
    for (const auto& entry : fs::directory_iterator(*dir, error)) {
        if (entry.is_regular_file(error) && is_picture(entry.path())) {
            pictures.emplace_back(entry.last_write_time(error), entry.path());
        }
    }
    if (pictures.size() > kKeepPerProject) {
        std::sort(pictures.begin(), pictures.end());
        for (std::size_t i = 0; i + kKeepPerProject < pictures.size(); ++i) {
            fs::remove(pictures[i].second, error);
        }
    }
    return {};
}

std::optional<fs::path> VersionThumbnails::find(const std::string& project_id, std::string_view revision) const {
    const auto dir = project_dir(project_id);
    std::string wanted(revision);
    std::transform(wanted.begin(), wanted.end(), wanted.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!dir || !is_hex(wanted) || wanted.size() < 4) {
        return std::nullopt;
    }
    std::optional<fs::path> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(*dir, error)) {
        const auto name = entry.path().filename().string();
        if (!is_picture(entry.path()) || !name.starts_with(wanted)) {
            continue;
        }
        if (found) {
            return std::nullopt; // ambiguous
        }
        found = entry.path();
    }
    return found;
}

std::vector<VersionThumbnails::Picture> VersionThumbnails::list(const std::string& project_id) const {
    const auto dir = project_dir(project_id);
    if (!dir) {
        return {};
    }
    std::vector<std::pair<fs::file_time_type, Picture>> found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(*dir, error)) {
        if (!entry.is_regular_file(error) || !is_picture(entry.path())) {
            continue;
        }
        found.push_back({entry.last_write_time(error), Picture{entry.path().stem().string(), entry.path()}});
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<Picture> pictures;
    pictures.reserve(found.size());
    for (auto& [written, picture] : found) {
        pictures.push_back(std::move(picture));
    }
    return pictures;
}

std::optional<fs::path> VersionThumbnails::newest(const std::string& project_id) const {
    auto pictures = list(project_id);
    return pictures.empty() ? std::nullopt : std::optional(std::move(pictures.front().file));
}

void VersionThumbnails::remove_project(const std::string& project_id) const {
    if (const auto dir = project_dir(project_id)) {
        std::error_code ignored;
        fs::remove_all(*dir, ignored);
    }
}

} // namespace atelier::store
