// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "registry/parameter_type.h"

namespace atelier::registry {

/// `addon_info` of an addon_ai.json manifest.
struct AddonInfo {
    std::string id;   ///< required, non-empty; the `<addon>` part of provider tool names
    std::string name; ///< required, non-empty; for people
    std::string version;
    std::string author;
    std::string category;
    std::string description;
};

/// One entry of a tool's `parameters` (Cr8 format).
struct ParameterSpec {
    std::string name;
    ParameterType type = ParameterType::String;
    std::string description;
    bool required = false;
    std::optional<nlohmann::json> default_value;
    std::vector<std::string> options; ///< the choices of an enum; empty for other types
    std::optional<double> minimum;    ///< `min`, integer and float only
    std::optional<double> maximum;    ///< `max`, integer and float only
    /// `multiline`, string only: a form shows a text area (file contents, code). Not sent to models.
    std::optional<bool> multiline;
};

/// One tool of `ai_integration.tools`, as declared.
struct ToolSpec {
    std::string name;
    std::string description;
    std::string usage;
    std::string category;
    std::vector<std::string> examples;
    std::vector<ParameterSpec> parameters;      ///< empty when input_schema is given
    std::optional<nlohmann::json> input_schema; ///< our extension: a JSON Schema instead of parameters
    bool mutates = true;                        ///< false: read-only, no undo step, no version commit
    std::optional<double> timeout_s;            ///< per-call timeout; absent: the hub's default
    bool returns_image = false;                 ///< the result carries an image for the model to see
};

/// A parsed, valid addon_ai.json.
struct Manifest {
    AddonInfo addon;
    std::string agent_description;
    std::vector<std::string> context_hints;
    nlohmann::json requirements = nlohmann::json::object(); ///< e.g. {"blender_version_min": "3.4"}
    nlohmann::json metadata = nlohmann::json::object();     ///< free-form, kept for display
    std::vector<ToolSpec> tools;
};

} // namespace atelier::registry
