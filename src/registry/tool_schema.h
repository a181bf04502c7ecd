// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/manifest.h"
#include "registry/validation_error.h"

namespace atelier::registry {

/// The JSON Schema keywords a tool schema may use (DESIGN §3: a draft-7 subset that 2020-12 and
/// the model providers also accept). Anything else — `pattern`, `$ref`, `oneOf`, `format`... — is
/// refused, because some provider would reject or ignore it.
[[nodiscard]] const std::vector<std::string_view>& supported_schema_keywords();

/// Checks that `schema` (a tool's `input_schema`, found at `pointer` in the manifest) uses only the
/// supported keywords with well-formed values and describes an object. Appends one error per
/// problem to `errors`.
void check_input_schema(const nlohmann::json& schema, std::string_view pointer, std::vector<ValidationError>& errors);

/// The JSON Schema of one Cr8-style parameter (its `required` flag lives in the parent).
[[nodiscard]] nlohmann::json parameter_schema(const ParameterSpec& parameter);

/// The one JSON Schema of a tool's arguments: built from `parameters`, or the tool's own
/// `input_schema` with `additionalProperties: false` added at the top level when it says nothing.
/// Precondition: `tool` came out of parse_manifest (so its schema is well-formed).
[[nodiscard]] nlohmann::json build_tool_schema(const ToolSpec& tool);

} // namespace atelier::registry
