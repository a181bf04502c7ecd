// SPDX-License-Identifier: Apache-2.0
#include "registry/tool.h"

#include "registry/tool_schema.h"

namespace atelier::registry {

std::vector<ValidationError> Tool::validate(const nlohmann::json& arguments) const {
    return validator->validate(arguments);
}

nlohmann::json Tool::to_json() const {
    // Form hints ride on the schema forms read; the schema models get (input_schema) has none.
    nlohmann::json schema = input_schema;
    for (const auto& parameter : spec.parameters) {
        if (parameter.multiline && schema.contains("properties") && schema["properties"].contains(parameter.name)) {
            schema["properties"][parameter.name]["multiline"] = *parameter.multiline;
        }
    }
    nlohmann::json value{{"name", provider_name},
                         {"addon", addon_id},
                         {"tool", spec.name},
                         {"description", spec.description},
                         {"examples", spec.examples},
                         {"input_schema", std::move(schema)},
                         {"parameter_order", parameter_names},
                         {"mutates", spec.mutates},
                         {"returns_image", spec.returns_image}};
    if (!spec.usage.empty()) {
        value["usage"] = spec.usage;
    }
    if (!spec.category.empty()) {
        value["category"] = spec.category;
    }
    if (spec.timeout_s) {
        value["timeout_s"] = *spec.timeout_s;
    }
    return value;
}

Result<Tool> build_tool(const std::string& addon_id, const ToolSpec& spec, std::string provider_name) {
    Tool tool;
    tool.provider_name = std::move(provider_name);
    tool.addon_id = addon_id;
    tool.spec = spec;
    tool.input_schema = build_tool_schema(spec);
    std::vector<std::string> colors;
    for (const auto& parameter : spec.parameters) {
        tool.parameter_names.push_back(parameter.name);
        if (parameter.type == ParameterType::Color) {
            colors.push_back(parameter.name);
        }
    }
    if (spec.input_schema && tool.input_schema["properties"].is_object()) {
        for (const auto& item : tool.input_schema["properties"].items()) {
            tool.parameter_names.push_back(item.key());
        }
    }
    auto validator = ATELIER_TRY(ArgumentValidator::create(tool.input_schema, std::move(colors), tool.parameter_names));
    tool.validator = std::make_shared<const ArgumentValidator>(std::move(validator));
    return tool;
}

} // namespace atelier::registry
