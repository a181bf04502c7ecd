// SPDX-License-Identifier: Apache-2.0
#include "registry/tool_schema.h"

#include <algorithm>
#include <set>
#include <string>

namespace atelier::registry {
namespace {

using Json = nlohmann::json;

const std::vector<std::string_view> kJsonTypes{"object", "array", "string", "number", "integer", "boolean", "null"};

std::string keyword_list() {
    std::string list;
    for (auto keyword : supported_schema_keywords()) {
        list += list.empty() ? "" : ", ";
        list += keyword;
    }
    return list;
}

bool is_non_negative_integer(const Json& value) {
    return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

void check_schema_node(const Json& node, const std::string& pointer, std::vector<ValidationError>& errors) {
    if (!node.is_object()) {
        errors.push_back({pointer, "a schema must be a JSON object, not " + std::string(node.type_name())});
        return;
    }
    const auto& keywords = supported_schema_keywords();
    for (const auto& [key, value] : node.items()) {
        if (std::find(keywords.begin(), keywords.end(), key) == keywords.end()) {
            errors.push_back({append_pointer(pointer, key),
                              "unsupported JSON Schema keyword '" + key + "' (supported: " + keyword_list() + ")"});
        }
    }
    if (auto type = node.find("type"); type != node.end()) {
        if (!type->is_string() ||
            std::find(kJsonTypes.begin(), kJsonTypes.end(), type->get_ref<const std::string&>()) == kJsonTypes.end()) {
            errors.push_back({append_pointer(pointer, "type"),
                              "'type' must be one of object, array, string, number, integer, boolean, null"});
        }
    }
    if (auto description = node.find("description"); description != node.end() && !description->is_string()) {
        errors.push_back({append_pointer(pointer, "description"), "'description' must be a string"});
    }
    if (auto values = node.find("enum"); values != node.end() && (!values->is_array() || values->empty())) {
        errors.push_back({append_pointer(pointer, "enum"), "'enum' must be a non-empty array"});
    }
    for (const char* bound : {"minimum", "maximum"}) {
        if (auto it = node.find(bound); it != node.end() && !it->is_number()) {
            errors.push_back({append_pointer(pointer, bound), std::string("'") + bound + "' must be a number"});
        }
    }
    if (node.contains("minimum") && node.contains("maximum") && node["minimum"].is_number() &&
        node["maximum"].is_number() && node["minimum"].get<double>() > node["maximum"].get<double>()) {
        errors.push_back({append_pointer(pointer, "minimum"),
                          "minimum " + node["minimum"].dump() + " is greater than maximum " + node["maximum"].dump()});
    }
    for (const char* bound : {"minItems", "maxItems"}) {
        if (auto it = node.find(bound); it != node.end() && !is_non_negative_integer(*it)) {
            errors.push_back(
                {append_pointer(pointer, bound), std::string("'") + bound + "' must be a non-negative integer"});
        }
    }
    if (node.contains("minItems") && node.contains("maxItems") && is_non_negative_integer(node["minItems"]) &&
        is_non_negative_integer(node["maxItems"]) &&
        node["minItems"].get<std::uint64_t>() > node["maxItems"].get<std::uint64_t>()) {
        errors.push_back(
            {append_pointer(pointer, "minItems"),
             "minItems " + node["minItems"].dump() + " is greater than maxItems " + node["maxItems"].dump()});
    }
    if (auto items = node.find("items"); items != node.end()) {
        check_schema_node(*items, append_pointer(pointer, "items"), errors);
    }
    std::set<std::string> property_names;
    if (auto properties = node.find("properties"); properties != node.end()) {
        const auto properties_pointer = append_pointer(pointer, "properties");
        if (!properties->is_object()) {
            errors.push_back({properties_pointer, "'properties' must be an object of schemas"});
        } else {
            for (const auto& [name, child] : properties->items()) {
                property_names.insert(name);
                check_schema_node(child, append_pointer(properties_pointer, name), errors);
            }
        }
    }
    if (auto additional = node.find("additionalProperties"); additional != node.end()) {
        if (additional->is_object()) {
            check_schema_node(*additional, append_pointer(pointer, "additionalProperties"), errors);
        } else if (!additional->is_boolean()) {
            errors.push_back({append_pointer(pointer, "additionalProperties"),
                              "'additionalProperties' must be a boolean or a schema"});
        }
    }
    if (auto required = node.find("required"); required != node.end()) {
        const auto required_pointer = append_pointer(pointer, "required");
        if (!required->is_array()) {
            errors.push_back({required_pointer, "'required' must be an array of property names"});
            return;
        }
        const bool closed = !node.contains("additionalProperties") || node["additionalProperties"] == false;
        for (std::size_t i = 0; i < required->size(); ++i) {
            const auto& name = (*required)[i];
            if (!name.is_string()) {
                errors.push_back({append_pointer(required_pointer, i), "a required property name must be a string"});
            } else if (closed && !property_names.contains(name.get<std::string>())) {
                // With additionalProperties false (the default we add) such a call could never be valid.
                errors.push_back({append_pointer(required_pointer, i),
                                  "required property '" + name.get<std::string>() + "' is not in 'properties'"});
            }
        }
    }
}

std::string with_hint(const std::string& description, std::string_view hint) {
    if (description.find(hint) != std::string::npos) {
        return description;
    }
    return description.empty() ? std::string(hint) : description + " (" + std::string(hint) + ")";
}

} // namespace

const std::vector<std::string_view>& supported_schema_keywords() {
    static const std::vector<std::string_view> keywords{
        "type",    "properties",           "required",    "enum",   "items", "minItems", "maxItems", "minimum",
        "maximum", "additionalProperties", "description", "default"};
    return keywords;
}

void check_input_schema(const Json& schema, std::string_view pointer, std::vector<ValidationError>& errors) {
    const std::string root(pointer);
    if (!schema.is_object()) {
        errors.push_back({root, "'input_schema' must be a JSON Schema object"});
        return;
    }
    if (!schema.contains("type") || schema["type"] != "object") {
        errors.push_back({append_pointer(root, "type"), "'input_schema' must have \"type\": \"object\""});
    }
    check_schema_node(schema, root, errors);
}

Json parameter_schema(const ParameterSpec& parameter) {
    Json schema = Json::object();
    std::string description = parameter.description;
    switch (parameter.type) {
    case ParameterType::String:
    case ParameterType::FilePath:
        schema["type"] = "string";
        break;
    case ParameterType::ObjectName:
        schema["type"] = "string";
        description = with_hint(description, "name of an object in the scene");
        break;
    case ParameterType::MaterialName:
        schema["type"] = "string";
        description = with_hint(description, "name of a material");
        break;
    case ParameterType::CollectionName:
        schema["type"] = "string";
        description = with_hint(description, "name of a collection");
        break;
    case ParameterType::Integer:
        schema["type"] = "integer";
        break;
    case ParameterType::Float:
        schema["type"] = "number";
        break;
    case ParameterType::Boolean:
        schema["type"] = "boolean";
        break;
    case ParameterType::Enum:
        schema["type"] = "string";
        schema["enum"] = parameter.options;
        break;
    case ParameterType::Vector3:
        schema["type"] = "array";
        schema["items"] = Json{{"type", "number"}};
        schema["minItems"] = 3;
        schema["maxItems"] = 3;
        description = with_hint(description, "[x, y, z]");
        break;
    case ParameterType::Color:
        // No `pattern` (providers differ on it); the format is checked after schema validation.
        schema["type"] = "string";
        description = with_hint(description, "#RRGGBB");
        break;
    case ParameterType::Dict:
        schema["type"] = "object";
        break;
    }
    // Integral bounds of an integer parameter are written as integers, so messages read "10", not "10.0".
    auto bound = [&](double value) {
        return parameter.type == ParameterType::Integer ? Json(static_cast<std::int64_t>(value)) : Json(value);
    };
    if (parameter.minimum) {
        schema["minimum"] = bound(*parameter.minimum);
    }
    if (parameter.maximum) {
        schema["maximum"] = bound(*parameter.maximum);
    }
    if (!description.empty()) {
        schema["description"] = description;
    }
    if (parameter.default_value) {
        schema["default"] = *parameter.default_value;
    }
    return schema;
}

Json build_tool_schema(const ToolSpec& tool) {
    if (tool.input_schema) {
        Json schema = *tool.input_schema;
        if (!schema.contains("additionalProperties")) {
            schema["additionalProperties"] = false;
        }
        if (!schema.contains("properties")) {
            schema["properties"] = Json::object();
        }
        return schema;
    }
    Json properties = Json::object();
    Json required = Json::array();
    for (const auto& parameter : tool.parameters) {
        properties[parameter.name] = parameter_schema(parameter);
        if (parameter.required) {
            required.push_back(parameter.name);
        }
    }
    Json schema{{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
    if (!required.empty()) {
        schema["required"] = std::move(required);
    }
    return schema;
}

} // namespace atelier::registry
