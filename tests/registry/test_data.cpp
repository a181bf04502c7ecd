// SPDX-License-Identifier: Apache-2.0
#include "test_data.h"
#include "atelier/source_dir.h"

#include <algorithm>
#include <cctype>
#include <fstream>

namespace atelier::registry::testing_data {

std::filesystem::path path(const std::string& relative) {
    return std::filesystem::path(ATELIER_SOURCE_DIR) / "tests" / "registry" / relative;
}

nlohmann::json load(const std::filesystem::path& file) {
    std::ifstream stream(file);
    return nlohmann::json::parse(stream, nullptr, false);
}

std::vector<std::filesystem::path> case_files(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        const auto name = entry.path().filename().string();
        if (entry.path().extension() == ".json" && !name.ends_with(".expected.json")) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string test_name(const std::filesystem::path& file) {
    std::string name = file.stem().string();
    std::replace_if(
        name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return name;
}

} // namespace atelier::registry::testing_data
