// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/argument_validator.h"
#include "registry/manifest.h"
#include "registry/validation_error.h"

namespace atelier::registry {

/// A tool ready to be offered to a model and called: its declaration, its provider-safe name, its
/// one JSON Schema and that schema's compiled validator. Immutable once built; shared by snapshots.
struct Tool {
    std::string provider_name; ///< `<addon>__<tool>`, unique in its registry (tool_naming.h)
    std::string addon_id;
    ToolSpec spec;                            ///< as declared; spec.name is the engine-side tool name
    nlohmann::json input_schema;              ///< the JSON Schema of the arguments
    std::vector<std::string> parameter_names; ///< top-level properties in declaration order
    std::shared_ptr<const ArgumentValidator> validator;

    /// Every problem with `arguments`; empty when the call may go to the engine. Thread-safe.
    [[nodiscard]] std::vector<ValidationError> validate(const nlohmann::json& arguments) const;

    /// `{name, addon, tool, description, usage?, category?, examples, input_schema, parameter_order,
    /// mutates, returns_image, timeout_s?}` for `GET /api/engines/{id}/tools` and the web forms.
    [[nodiscard]] nlohmann::json to_json() const;
};

/// Builds the Tool for one declared tool of addon `addon_id`. Fails (InvalidArgument) only if
/// valijson cannot compile the schema, which parse_manifest's checks should already prevent.
[[nodiscard]] Result<Tool> build_tool(const std::string& addon_id, const ToolSpec& spec, std::string provider_name);

} // namespace atelier::registry
