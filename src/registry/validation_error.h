// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace atelier::registry {

/// One problem found in a document (a manifest or a tool call's arguments): where, as a JSON
/// Pointer (RFC 6901, "" is the whole document), and what, as a sentence a person or a language
/// model can act on.
struct ValidationError {
    std::string pointer;
    std::string message;

    friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

/// `{"pointer": "...", "message": "..."}`.
[[nodiscard]] nlohmann::json to_json(const ValidationError& error);

/// A JSON array of the errors above.
[[nodiscard]] nlohmann::json to_json(const std::vector<ValidationError>& errors);

/// One line per error, `"/size: 5000 is above the maximum 1000"`, for logs and tool results.
[[nodiscard]] std::string describe(const std::vector<ValidationError>& errors);

/// `pointer` extended by one reference token, escaped per RFC 6901 (`~` → `~0`, `/` → `~1`).
[[nodiscard]] std::string append_pointer(std::string_view pointer, std::string_view token);

/// `pointer` extended by an array index.
[[nodiscard]] std::string append_pointer(std::string_view pointer, std::size_t index);

/// A number as a person writes it: `10` rather than `10.0`, `0.001` rather than `1e-03`.
[[nodiscard]] std::string format_number(double value);

} // namespace atelier::registry
