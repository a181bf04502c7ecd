// SPDX-License-Identifier: Apache-2.0
#include "registry/argument_validator.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "registry/parameter_type.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;

// Where one valijson error points: in the arguments, and in our schema at the same place.
struct Location {
    std::string pointer;
    const Json* instance = nullptr; // null when the path leaves the arguments
    const Json* schema = nullptr;   // null when the schema has nothing for this path
};

const Json* child_schema_for_property(const Json* schema, const std::string& name) {
    if (schema == nullptr || !schema->is_object()) {
        return nullptr;
    }
    if (auto properties = schema->find("properties"); properties != schema->end() && properties->contains(name)) {
        return &(*properties)[name];
    }
    if (auto additional = schema->find("additionalProperties");
        additional != schema->end() && additional->is_object()) {
        return &*additional;
    }
    return nullptr;
}

// valijson names each step "[name]" or "[index]" after a leading "<root>". The arguments decide
// which it is, so a property called "0" is not mistaken for an index.
Location resolve(const std::vector<std::string>& context, const Json& arguments, const Json& schema) {
    Location location{"", &arguments, &schema};
    for (std::size_t i = 1; i < context.size(); ++i) {
        std::string token = context[i];
        if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
            token = token.substr(1, token.size() - 2);
        }
        location.pointer = append_pointer(location.pointer, token);
        const Json* instance = location.instance;
        if (instance != nullptr && instance->is_array()) {
            std::size_t index = 0;
            try {
                index = std::stoul(token);
            } catch (const std::exception&) {
                index = instance->size();
            }
            location.instance = index < instance->size() ? &(*instance)[index] : nullptr;
            location.schema = (location.schema != nullptr && location.schema->contains("items"))
                                  ? &(*location.schema)["items"]
                                  : nullptr;
        } else {
            location.instance = (instance != nullptr && instance->is_object() && instance->contains(token))
                                    ? &(*instance)[token]
                                    : nullptr;
            location.schema = child_schema_for_property(location.schema, token);
        }
    }
    return location;
}

bool starts_with(const std::string& text, std::string_view prefix) {
    return text.rfind(prefix, 0) == 0;
}

std::string in_quotes(const std::string& text) {
    return "'" + text + "'";
}

// A value shown inside a message, cut so a huge argument does not flood the model's context.
std::string preview(const Json& value) {
    std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

std::string json_type_name(const Json& value) {
    if (value.is_number_integer()) {
        return "integer";
    }
    if (value.is_number()) {
        return "number";
    }
    return value.type_name();
}

std::string expected_type(const Json* schema) {
    if (schema == nullptr || !schema->contains("type") || !(*schema)["type"].is_string()) {
        return "a different type";
    }
    const auto& type = (*schema)["type"].get_ref<const std::string&>();
    if (type == "array" && schema->value("minItems", -1) == 3 && schema->value("maxItems", -1) == 3) {
        return "an array of 3 numbers [x, y, z]";
    }
    if (type == "integer") {
        return "an integer";
    }
    if (type == "number") {
        return "a number";
    }
    if (type == "boolean") {
        return "true or false";
    }
    if (type == "array" || type == "object") {
        return "an " + type;
    }
    return "a " + type;
}

std::string number_text(const Json* schema, const char* key) {
    if (schema == nullptr || !schema->contains(key)) {
        return "?";
    }
    const Json& value = (*schema)[key];
    return value.is_number() ? format_number(value.get<double>()) : value.dump();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

} // namespace

struct ArgumentValidator::Compiled {
    Json schema;
    valijson::Schema compiled;
    std::vector<std::string> color_properties;
    std::vector<std::string> property_order;

    std::vector<std::string> known_properties(const Json* schema_node, bool top_level) const {
        if (top_level && !property_order.empty()) {
            return property_order;
        }
        std::vector<std::string> names;
        if (schema_node != nullptr && schema_node->contains("properties") && (*schema_node)["properties"].is_object()) {
            for (const auto& item : (*schema_node)["properties"].items()) {
                names.push_back(item.key());
            }
        }
        return names;
    }

    // One error per property the schema does not know. valijson names only the first it meets, so
    // the object is inspected here and every stray property is reported at once.
    void report_unknown_properties(const Location& location, std::vector<ValidationError>& errors) const {
        if (location.instance == nullptr || !location.instance->is_object()) {
            return;
        }
        const auto known = known_properties(location.schema, location.pointer.empty());
        std::string known_text;
        for (const auto& name : known) {
            known_text += (known_text.empty() ? "" : ", ") + name;
        }
        for (const auto& item : location.instance->items()) {
            if (std::find(known.begin(), known.end(), item.key()) != known.end()) {
                continue;
            }
            std::string message = "unknown property " + in_quotes(item.key());
            std::string suggestion;
            std::size_t best = 3;
            for (const auto& name : known) {
                const auto distance = edit_distance(item.key(), name);
                if (distance < best) {
                    best = distance;
                    suggestion = name;
                }
            }
            if (!suggestion.empty()) {
                message += " (did you mean " + in_quotes(suggestion) + "?";
                message += known_text.empty() ? ")" : " known: " + known_text + ")";
            } else {
                message += known_text.empty() ? " (this tool takes no arguments)" : " (known: " + known_text + ")";
            }
            errors.push_back({append_pointer(location.pointer, item.key()), std::move(message)});
        }
    }

    // Turns one valijson error into ours; wrapper errors ("failed to validate item #2") are dropped
    // because the error they wrap says more.
    void translate(const valijson::ValidationResults::Error& error, const Json& arguments,
                   std::set<std::string>& unknown_reported, std::vector<ValidationError>& errors) const {
        const std::string& text = error.description;
        if (starts_with(text, "Failed to validate against schema associated with property") ||
            starts_with(text, "Failed to validate item #") ||
            starts_with(text, "Failed to validate against additional properties")) {
            return;
        }
        const Location location = resolve(error.context, arguments, schema);
        const std::string value = location.instance != nullptr ? preview(*location.instance) : "the value";
        if (starts_with(text, "Missing required property '")) {
            const auto name = text.substr(27, text.rfind('\'') - 27);
            errors.push_back({append_pointer(location.pointer, name), "missing required property " + in_quotes(name)});
        } else if (starts_with(text, "Object contains a property that could not be validated")) {
            if (unknown_reported.insert(location.pointer).second) {
                report_unknown_properties(location, errors);
            }
        } else if (starts_with(text, "Expected number less than or equal to")) {
            errors.push_back(
                {location.pointer, value + " is above the maximum " + number_text(location.schema, "maximum")});
        } else if (starts_with(text, "Expected number greater than or equal to")) {
            errors.push_back(
                {location.pointer, value + " is below the minimum " + number_text(location.schema, "minimum")});
        } else if (starts_with(text, "Value type not permitted")) {
            const std::string got =
                location.instance != nullptr ? json_type_name(*location.instance) + " " + value : value;
            errors.push_back({location.pointer, "expected " + expected_type(location.schema) + ", got " + got});
        } else if (starts_with(text, "Failed to match against any enum values")) {
            std::string choices;
            if (location.schema != nullptr && location.schema->contains("enum")) {
                for (const auto& choice : (*location.schema)["enum"]) {
                    choices += (choices.empty() ? "" : ", ") +
                               (choice.is_string() ? choice.get<std::string>() : choice.dump());
                }
            }
            errors.push_back({location.pointer, value + " is not one of: " + choices});
        } else if (starts_with(text, "Array should contain no fewer than") ||
                   starts_with(text, "Array should contain no more than")) {
            const auto count = location.instance != nullptr ? location.instance->size() : 0;
            const auto minimum = number_text(location.schema, "minItems");
            const auto maximum = number_text(location.schema, "maxItems");
            std::string expected = minimum == maximum                                   ? "exactly " + minimum
                                   : starts_with(text, "Array should contain no fewer") ? "at least " + minimum
                                                                                        : "at most " + maximum;
            const char* noun = expected.ends_with(" 1") ? " item, got " : " items, got ";
            errors.push_back({location.pointer, "expected " + expected + noun + std::to_string(count)});
        } else {
            std::string message = text;
            if (!message.empty()) {
                message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
            }
            errors.push_back({location.pointer, std::move(message)});
        }
    }

    void check_colors(const Json& arguments, std::vector<ValidationError>& errors) const {
        if (!arguments.is_object()) {
            return;
        }
        for (const auto& name : color_properties) {
            auto it = arguments.find(name);
            // Non-strings already failed the schema's type check; one error per property is enough.
            if (it != arguments.end() && it->is_string() && !is_color_text(it->get_ref<const std::string&>())) {
                errors.push_back({append_pointer("", name),
                                  preview(*it) + " is not a colour; write it as #RRGGBB, e.g. \"#FF8800\""});
            }
        }
    }
};

ArgumentValidator::ArgumentValidator(std::unique_ptr<Compiled> compiled) : m_compiled(std::move(compiled)) {}
ArgumentValidator::ArgumentValidator(ArgumentValidator&&) noexcept = default;
ArgumentValidator& ArgumentValidator::operator=(ArgumentValidator&&) noexcept = default;
ArgumentValidator::~ArgumentValidator() = default;

Result<ArgumentValidator> ArgumentValidator::create(const Json& schema, std::vector<std::string> color_properties,
                                                    std::vector<std::string> property_order) {
    auto compiled = std::make_unique<Compiled>();
    compiled->schema = schema;
    compiled->color_properties = std::move(color_properties);
    compiled->property_order = std::move(property_order);
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(compiled->schema);
        parser.populateSchema(adapter, compiled->compiled);
    } catch (const std::exception& error) {
        return fail(ErrorCode::InvalidArgument, std::string("cannot compile the tool's JSON Schema: ") + error.what());
    }
    return ArgumentValidator(std::move(compiled));
}

std::vector<ValidationError> ArgumentValidator::validate(const Json& given) const {
    // Clients and models send `null` or nothing for a call without arguments; that means {}.
    const Json empty = Json::object();
    const Json& arguments = given.is_null() ? empty : given;
    std::vector<ValidationError> errors;
    valijson::ValidationResults results;
    try {
        // A Validator holds a regex cache, so each call gets its own; the compiled schema is shared.
        valijson::Validator validator(valijson::Validator::kStrongTypes);
        valijson::adapters::NlohmannJsonAdapter target(arguments);
        validator.validate(m_compiled->compiled, target, &results);
    } catch (const std::exception& error) {
        return {{"", std::string("the arguments could not be validated: ") + error.what()}};
    }
    std::set<std::string> unknown_reported;
    for (const auto& error : results) {
        m_compiled->translate(error, arguments, unknown_reported, errors);
    }
    m_compiled->check_colors(arguments, errors);
    std::stable_sort(errors.begin(), errors.end(),
                     [](const ValidationError& a, const ValidationError& b) { return a.pointer < b.pointer; });
    errors.erase(std::unique(errors.begin(), errors.end()), errors.end());
    return errors;
}

} // namespace atelier::registry
