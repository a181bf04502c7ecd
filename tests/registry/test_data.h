// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace atelier::registry::testing_data {

/// tests/registry/<relative> in the source tree.
std::filesystem::path path(const std::string& relative);

/// The JSON in `file`, or a discarded value when it cannot be read or parsed.
nlohmann::json load(const std::filesystem::path& file);

/// The `*.json` files of `directory` that are not `*.expected.json`, sorted by name.
std::vector<std::filesystem::path> case_files(const std::filesystem::path& directory);

/// A file's stem as a GoogleTest name (only letters, digits and `_`).
std::string test_name(const std::filesystem::path& file);

} // namespace atelier::registry::testing_data
