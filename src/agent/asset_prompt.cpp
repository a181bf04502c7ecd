// SPDX-License-Identifier: Apache-2.0
#include "agent/asset_prompt.h"

#include <fmt/format.h>

namespace atelier::agent {
namespace {

std::string human_size(std::uint64_t bytes) {
    if (bytes < 1024) {
        return fmt::format("{} B", bytes);
    }
    if (bytes < 1024 * 1024) {
        return fmt::format("{:.1f} KB", static_cast<double>(bytes) / 1024);
    }
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string line_of(const nlohmann::json& asset) {
    const std::string path = asset.value("path", "");
    std::string line = fmt::format("- {} ({}, {}", path, asset.value("kind", "other"),
                                   human_size(asset.value("size", std::uint64_t{0})));
    if (asset.contains("width") && asset.contains("height")) {
        line += fmt::format(", {}x{}", asset["width"].dump(), asset["height"].dump());
    }
    if (asset.contains("duration_s") && asset["duration_s"].is_number()) {
        line += fmt::format(", {:.2f} s", asset["duration_s"].get<double>());
    }
    line += ")";
    // Remotion serves public/ as the static folder: staticFile() takes the path below it.
    if (path.starts_with("public/")) {
        line += fmt::format(" → staticFile(\"{}\")", path.substr(7));
    }
    return line + "\n";
}

} // namespace

std::string build_assets_section(const nlohmann::json& assets, std::size_t limit) {
    if (!assets.is_array() || assets.empty()) {
        return "";
    }
    std::string out = "# The project's assets (files the user brought in: uploads, attachments, imports)\n";
    std::size_t shown = 0;
    for (const auto& asset : assets) {
        auto line = line_of(asset);
        if (out.size() + line.size() > limit) {
            break;
        }
        out += line;
        ++shown;
    }
    if (shown < assets.size()) {
        out += fmt::format("… {} more files\n", assets.size() - shown);
    }
    out += "Use these files by their paths: Remotion compositions load files under public/ with staticFile(); "
           "Blender tools take the path in the project (e.g. assets/logo.png).";
    return out;
}

std::string with_assets(std::string context, const std::string& assets_section) {
    if (!assets_section.empty()) {
        context += "\n\n" + assets_section;
    }
    return context;
}

} // namespace atelier::agent
