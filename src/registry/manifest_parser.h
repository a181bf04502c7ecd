// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "registry/manifest.h"
#include "registry/validation_error.h"

namespace atelier::registry {

/// A manifest, or every reason it was refused (never just the first).
using ManifestResult = tl::expected<Manifest, std::vector<ValidationError>>;

/// Reads an addon_ai.json document (docs/manifest.md). Checks everything the format promises —
/// required fields and their types, known parameter types, enum options, min ≤ max, defaults of the
/// right type and inside the range, unique tool and parameter names, valid names, input_schema
/// keywords — and reports each problem with the JSON Pointer of the offending member. Unknown
/// members are ignored, so manifests written for newer versions still load. Never throws.
[[nodiscard]] ManifestResult parse_manifest(const nlohmann::json& document);

/// True when `name` may name a tool: 1–64 characters from [A-Za-z0-9_-].
[[nodiscard]] bool is_valid_tool_name(std::string_view name);

/// True when `name` may name a parameter: a letter or `_`, then letters, digits or `_`; at most 64.
[[nodiscard]] bool is_valid_parameter_name(std::string_view name);

} // namespace atelier::registry
