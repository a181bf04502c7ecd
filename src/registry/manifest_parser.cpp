// SPDX-License-Identifier: Apache-2.0
#include "registry/manifest_parser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "registry/tool_schema.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;

// Collects errors while walking the document; every reader records what is wrong and goes on, so
// one pass yields all the problems of a manifest.
class ManifestReader {
public:
    std::vector<ValidationError>& errors() { return m_errors; }

    void error(std::string pointer, std::string message) {
        m_errors.push_back({std::move(pointer), std::move(message)});
    }

    // An optional string member; a wrong type is an error. Returns the value or "".
    std::string optional_string(const Json& object, const char* key, const std::string& pointer) {
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) {
            return {};
        }
        if (!it->is_string()) {
            error(append_pointer(pointer, key), std::string("'") + key + "' must be a string, not " + it->type_name());
            return {};
        }
        return it->get<std::string>();
    }

    // A required, non-empty string member.
    std::string required_string(const Json& object, const char* key, const std::string& pointer, const char* what) {
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) {
            error(append_pointer(pointer, key), std::string("missing ") + what);
            return {};
        }
        if (!it->is_string()) {
            error(append_pointer(pointer, key), std::string("'") + key + "' must be a string, not " + it->type_name());
            return {};
        }
        if (it->get_ref<const std::string&>().empty()) {
            error(append_pointer(pointer, key), std::string("'") + key + "' must not be empty");
        }
        return it->get<std::string>();
    }

    bool optional_bool(const Json& object, const char* key, const std::string& pointer, bool fallback) {
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) {
            return fallback;
        }
        if (!it->is_boolean()) {
            error(append_pointer(pointer, key), std::string("'") + key + "' must be true or false");
            return fallback;
        }
        return it->get<bool>();
    }

    std::vector<std::string> string_list(const Json& object, const char* key, const std::string& pointer) {
        std::vector<std::string> values;
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) {
            return values;
        }
        const auto list_pointer = append_pointer(pointer, key);
        if (!it->is_array()) {
            error(list_pointer, std::string("'") + key + "' must be an array of strings");
            return values;
        }
        for (std::size_t i = 0; i < it->size(); ++i) {
            if (!(*it)[i].is_string()) {
                error(append_pointer(list_pointer, i), "must be a string");
            } else {
                values.push_back((*it)[i].get<std::string>());
            }
        }
        return values;
    }

    Json optional_object(const Json& object, const char* key, const std::string& pointer) {
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) {
            return Json::object();
        }
        if (!it->is_object()) {
            error(append_pointer(pointer, key), std::string("'") + key + "' must be an object");
            return Json::object();
        }
        return *it;
    }

    AddonInfo addon_info(const Json& document) {
        AddonInfo info;
        auto it = document.find("addon_info");
        if (it == document.end() || !it->is_object()) {
            error("/addon_info", it == document.end() ? "missing 'addon_info'" : "'addon_info' must be an object");
            return info;
        }
        const std::string pointer = "/addon_info";
        info.id = required_string(*it, "id", pointer, "addon id");
        info.name = required_string(*it, "name", pointer, "addon name");
        info.version = optional_string(*it, "version", pointer);
        info.author = optional_string(*it, "author", pointer);
        info.category = optional_string(*it, "category", pointer);
        info.description = optional_string(*it, "description", pointer);
        return info;
    }

    std::optional<double> bound(const Json& object, const char* key, const std::string& pointer, ParameterType type) {
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) {
            return std::nullopt;
        }
        const auto bound_pointer = append_pointer(pointer, key);
        if (type != ParameterType::Integer && type != ParameterType::Float) {
            error(bound_pointer, std::string("'") + key + "' applies only to integer and float parameters, not " +
                                     std::string(parameter_type_name(type)));
            return std::nullopt;
        }
        if (!it->is_number()) {
            error(bound_pointer, std::string("'") + key + "' must be a number");
            return std::nullopt;
        }
        if (type == ParameterType::Integer && !it->is_number_integer()) {
            error(bound_pointer, std::string("'") + key + "' of an integer parameter must be an integer");
            return std::nullopt;
        }
        return it->get<double>();
    }

    // Checks a default value against the parameter it belongs to.
    void check_default(const ParameterSpec& parameter, const Json& value, const std::string& pointer) {
        const std::string type_name(parameter_type_name(parameter.type));
        auto wrong_type = [&](const char* expected) {
            error(pointer,
                  "default " + value.dump() + " is not " + expected + " (the parameter is of type " + type_name + ")");
        };
        switch (parameter.type) {
        case ParameterType::String:
        case ParameterType::ObjectName:
        case ParameterType::MaterialName:
        case ParameterType::CollectionName:
        case ParameterType::FilePath:
            if (!value.is_string()) {
                wrong_type("a string");
            }
            return;
        case ParameterType::Boolean:
            if (!value.is_boolean()) {
                wrong_type("true or false");
            }
            return;
        case ParameterType::Dict:
            if (!value.is_object()) {
                wrong_type("an object");
            }
            return;
        case ParameterType::Color:
            if (!value.is_string() || !is_color_text(value.get_ref<const std::string&>())) {
                wrong_type("a colour of the form #RRGGBB");
            }
            return;
        case ParameterType::Vector3: {
            bool ok = value.is_array() && value.size() == 3;
            for (std::size_t i = 0; ok && i < 3; ++i) {
                ok = value[i].is_number();
            }
            if (!ok) {
                wrong_type("an array of 3 numbers [x, y, z]");
            }
            return;
        }
        case ParameterType::Enum:
            if (!value.is_string() || (!parameter.options.empty() &&
                                       std::find(parameter.options.begin(), parameter.options.end(),
                                                 value.get_ref<const std::string&>()) == parameter.options.end())) {
                error(pointer, "default " + value.dump() + " is not one of the options");
            }
            return;
        case ParameterType::Integer:
        case ParameterType::Float:
            break;
        }
        if (parameter.type == ParameterType::Integer ? !value.is_number_integer() : !value.is_number()) {
            wrong_type(parameter.type == ParameterType::Integer ? "an integer" : "a number");
            return;
        }
        const double number = value.get<double>();
        if (parameter.minimum && number < *parameter.minimum) {
            error(pointer, "default " + value.dump() + " is below the minimum " + format_number(*parameter.minimum));
        }
        if (parameter.maximum && number > *parameter.maximum) {
            error(pointer, "default " + value.dump() + " is above the maximum " + format_number(*parameter.maximum));
        }
    }

    std::optional<ParameterSpec> parameter(const Json& node, const std::string& pointer) {
        if (!node.is_object()) {
            error(pointer, "a parameter must be an object");
            return std::nullopt;
        }
        ParameterSpec parameter;
        parameter.name = required_string(node, "name", pointer, "parameter name");
        if (!parameter.name.empty() && !is_valid_parameter_name(parameter.name)) {
            error(append_pointer(pointer, "name"), "parameter name '" + parameter.name +
                                                       "' must start with a letter or '_' and contain only "
                                                       "letters, digits and '_' (at most 64)");
        }
        parameter.description = optional_string(node, "description", pointer);
        parameter.required = optional_bool(node, "required", pointer, false);

        auto type = node.find("type");
        const auto type_pointer = append_pointer(pointer, "type");
        if (type == node.end() || !type->is_string()) {
            error(type_pointer, type == node.end() ? "missing parameter type" : "'type' must be a string");
            return std::nullopt;
        }
        auto parsed = parse_parameter_type(type->get_ref<const std::string&>());
        if (!parsed) {
            error(type_pointer,
                  "unknown type '" + type->get<std::string>() + "' (known: " + known_parameter_type_names() + ")");
            return std::nullopt;
        }
        parameter.type = *parsed;

        auto options = node.find("options");
        const auto options_pointer = append_pointer(pointer, "options");
        if (parameter.type == ParameterType::Enum) {
            if (options == node.end() || !options->is_array() || options->empty()) {
                error(options_pointer, "an enum parameter needs 'options', a non-empty array of strings");
            } else {
                for (std::size_t i = 0; i < options->size(); ++i) {
                    const auto& option = (*options)[i];
                    if (!option.is_string()) {
                        error(append_pointer(options_pointer, i), "an option must be a string");
                    } else if (std::find(parameter.options.begin(), parameter.options.end(), option) !=
                               parameter.options.end()) {
                        error(append_pointer(options_pointer, i), "duplicate option " + option.dump());
                    } else {
                        parameter.options.push_back(option.get<std::string>());
                    }
                }
            }
        } else if (options != node.end() && !options->is_null()) {
            error(options_pointer, "'options' applies only to enum parameters");
        }

        if (auto multiline = node.find("multiline"); multiline != node.end() && !multiline->is_null()) {
            if (!multiline->is_boolean()) {
                error(append_pointer(pointer, "multiline"), "'multiline' must be true or false");
            } else if (parameter.type != ParameterType::String) {
                error(append_pointer(pointer, "multiline"), "'multiline' applies only to string parameters");
            } else {
                parameter.multiline = multiline->get<bool>();
            }
        }

        parameter.minimum = bound(node, "min", pointer, parameter.type);
        parameter.maximum = bound(node, "max", pointer, parameter.type);
        if (parameter.minimum && parameter.maximum && *parameter.minimum > *parameter.maximum) {
            error(append_pointer(pointer, "min"),
                  "min " + node["min"].dump() + " is greater than max " + node["max"].dump());
        }
        if (auto value = node.find("default"); value != node.end() && !value->is_null()) {
            parameter.default_value = *value;
            check_default(parameter, *value, append_pointer(pointer, "default"));
        }
        return parameter;
    }

    std::optional<ToolSpec> tool(const Json& node, const std::string& pointer) {
        if (!node.is_object()) {
            error(pointer, "a tool must be an object");
            return std::nullopt;
        }
        ToolSpec tool;
        tool.name = required_string(node, "name", pointer, "tool name");
        if (!tool.name.empty() && !is_valid_tool_name(tool.name)) {
            error(append_pointer(pointer, "name"),
                  "tool name '" + tool.name + "' must be 1-64 characters from A-Z, a-z, 0-9, '_' and '-'");
        }
        tool.description = required_string(node, "description", pointer, "tool description");
        tool.usage = optional_string(node, "usage", pointer);
        tool.category = optional_string(node, "category", pointer);
        tool.examples = string_list(node, "examples", pointer);
        tool.mutates = optional_bool(node, "mutates", pointer, true);
        tool.returns_image = optional_bool(node, "returns_image", pointer, false);
        if (auto timeout = node.find("timeout_s"); timeout != node.end() && !timeout->is_null()) {
            if (!timeout->is_number() || !(timeout->get<double>() > 0) || !std::isfinite(timeout->get<double>())) {
                error(append_pointer(pointer, "timeout_s"), "'timeout_s' must be a positive number of seconds");
            } else {
                tool.timeout_s = timeout->get<double>();
            }
        }

        auto parameters = node.find("parameters");
        auto input_schema = node.find("input_schema");
        const bool has_parameters = parameters != node.end() && !parameters->is_null();
        const bool has_schema = input_schema != node.end() && !input_schema->is_null();
        if (has_parameters && has_schema) {
            error(pointer, "give either 'parameters' or 'input_schema', not both");
        }
        if (has_schema) {
            const auto schema_pointer = append_pointer(pointer, "input_schema");
            check_input_schema(*input_schema, schema_pointer, m_errors);
            tool.input_schema = *input_schema;
        }
        if (has_parameters) {
            const auto list_pointer = append_pointer(pointer, "parameters");
            if (!parameters->is_array()) {
                error(list_pointer, "'parameters' must be an array");
            } else {
                std::map<std::string, std::size_t> seen;
                for (std::size_t i = 0; i < parameters->size(); ++i) {
                    const auto item_pointer = append_pointer(list_pointer, i);
                    auto parameter = this->parameter((*parameters)[i], item_pointer);
                    if (!parameter || parameter->name.empty()) {
                        continue;
                    }
                    auto [previous, inserted] = seen.emplace(parameter->name, i);
                    if (!inserted) {
                        error(append_pointer(item_pointer, "name"),
                              "duplicate parameter name '" + parameter->name + "' (first at " +
                                  append_pointer(list_pointer, previous->second) + ")");
                        continue;
                    }
                    tool.parameters.push_back(std::move(*parameter));
                }
            }
        }
        return tool;
    }

    std::vector<ToolSpec> tools(const Json& integration) {
        std::vector<ToolSpec> tools;
        const std::string pointer = "/ai_integration/tools";
        auto list = integration.find("tools");
        if (list == integration.end() || !list->is_array()) {
            error(pointer, list == integration.end() ? "missing 'tools'" : "'tools' must be an array");
            return tools;
        }
        std::map<std::string, std::size_t> seen;
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto item_pointer = append_pointer(pointer, i);
            auto tool = this->tool((*list)[i], item_pointer);
            if (!tool || tool->name.empty()) {
                continue;
            }
            auto [previous, inserted] = seen.emplace(tool->name, i);
            if (!inserted) {
                error(append_pointer(item_pointer, "name"), "duplicate tool name '" + tool->name + "' (first at " +
                                                                append_pointer(pointer, previous->second) + ")");
                continue;
            }
            tools.push_back(std::move(*tool));
        }
        return tools;
    }

private:
    std::vector<ValidationError> m_errors;
};

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

} // namespace

bool is_valid_tool_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    for (char c : name) {
        if (!is_name_char(c) && c != '-') {
            return false;
        }
    }
    return true;
}

bool is_valid_parameter_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || std::isdigit(static_cast<unsigned char>(name[0]))) {
        return false;
    }
    for (char c : name) {
        if (!is_name_char(c)) {
            return false;
        }
    }
    return true;
}

ManifestResult parse_manifest(const Json& document) {
    ManifestReader reader;
    if (!document.is_object()) {
        return tl::unexpected(std::vector<ValidationError>{
            {"", "a manifest must be a JSON object, not " + std::string(document.type_name())}});
    }
    Manifest manifest;
    manifest.addon = reader.addon_info(document);
    auto integration = document.find("ai_integration");
    if (integration == document.end() || !integration->is_object()) {
        reader.error("/ai_integration",
                     integration == document.end() ? "missing 'ai_integration'" : "'ai_integration' must be an object");
    } else {
        const std::string pointer = "/ai_integration";
        manifest.agent_description = reader.optional_string(*integration, "agent_description", pointer);
        manifest.context_hints = reader.string_list(*integration, "context_hints", pointer);
        manifest.requirements = reader.optional_object(*integration, "requirements", pointer);
        manifest.metadata = reader.optional_object(*integration, "metadata", pointer);
        manifest.tools = reader.tools(*integration);
    }
    if (!reader.errors().empty()) {
        return tl::unexpected(std::move(reader.errors()));
    }
    return manifest;
}

} // namespace atelier::registry
