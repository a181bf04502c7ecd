// SPDX-License-Identifier: Apache-2.0
#include "registry/parameter_type.h"

#include <array>
#include <cctype>
#include <utility>

namespace atelier::registry {
namespace {

constexpr std::array<std::pair<ParameterType, std::string_view>, 12> kTypeNames{{
    {ParameterType::String, "string"},
    {ParameterType::Integer, "integer"},
    {ParameterType::Float, "float"},
    {ParameterType::Boolean, "boolean"},
    {ParameterType::Enum, "enum"},
    {ParameterType::Vector3, "vector3"},
    {ParameterType::Color, "color"},
    {ParameterType::ObjectName, "object_name"},
    {ParameterType::MaterialName, "material_name"},
    {ParameterType::CollectionName, "collection_name"},
    {ParameterType::FilePath, "file_path"},
    {ParameterType::Dict, "dict"},
}};

} // namespace

std::optional<ParameterType> parse_parameter_type(std::string_view name) {
    for (const auto& [type, type_name] : kTypeNames) {
        if (type_name == name) {
            return type;
        }
    }
    return std::nullopt;
}

std::string_view parameter_type_name(ParameterType type) {
    for (const auto& [candidate, type_name] : kTypeNames) {
        if (candidate == type) {
            return type_name;
        }
    }
    return "string";
}

std::string known_parameter_type_names() {
    std::string names;
    for (const auto& entry : kTypeNames) {
        if (!names.empty()) {
            names += ", ";
        }
        names += entry.second;
    }
    return names;
}

bool is_color_text(std::string_view text) {
    if (text.size() != 7 || text[0] != '#') {
        return false;
    }
    for (std::size_t i = 1; i < text.size(); ++i) {
        if (!std::isxdigit(static_cast<unsigned char>(text[i]))) {
            return false;
        }
    }
    return true;
}

} // namespace atelier::registry
