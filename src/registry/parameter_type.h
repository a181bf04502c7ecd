// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace atelier::registry {

/// The parameter types of the Cr8-compatible manifest format (docs/manifest.md lists how each maps
/// to JSON Schema).
enum class ParameterType {
    String,
    Integer,
    Float,
    Boolean,
    Enum,
    Vector3,
    Color,
    ObjectName,
    MaterialName,
    CollectionName,
    FilePath,
    Dict,
};

/// The type named `name` in a manifest ("float", "vector3", ...), if there is one.
[[nodiscard]] std::optional<ParameterType> parse_parameter_type(std::string_view name);

/// The manifest name of `type`.
[[nodiscard]] std::string_view parameter_type_name(ParameterType type);

/// Every manifest type name, comma-separated, for error messages.
[[nodiscard]] std::string known_parameter_type_names();

/// True for "#RRGGBB" with six hexadecimal digits (either case).
[[nodiscard]] bool is_color_text(std::string_view text);

} // namespace atelier::registry
