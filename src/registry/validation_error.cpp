// SPDX-License-Identifier: Apache-2.0
#include "registry/validation_error.h"

#include <cmath>

namespace atelier::registry {

nlohmann::json to_json(const ValidationError& error) {
    return nlohmann::json{{"pointer", error.pointer}, {"message", error.message}};
}

nlohmann::json to_json(const std::vector<ValidationError>& errors) {
    auto array = nlohmann::json::array();
    for (const auto& error : errors) {
        array.push_back(to_json(error));
    }
    return array;
}

std::string describe(const std::vector<ValidationError>& errors) {
    std::string text;
    for (const auto& error : errors) {
        if (!text.empty()) {
            text += '\n';
        }
        text += (error.pointer.empty() ? std::string("(arguments)") : error.pointer) + ": " + error.message;
    }
    return text;
}

std::string append_pointer(std::string_view pointer, std::string_view token) {
    std::string result(pointer);
    result += '/';
    for (char c : token) {
        if (c == '~') {
            result += "~0";
        } else if (c == '/') {
            result += "~1";
        } else {
            result += c;
        }
    }
    return result;
}

std::string format_number(double value) {
    if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < 1e15) {
        return std::to_string(static_cast<long long>(value));
    }
    return nlohmann::json(value).dump();
}

std::string append_pointer(std::string_view pointer, std::size_t index) {
    return std::string(pointer) + '/' + std::to_string(index);
}

} // namespace atelier::registry
