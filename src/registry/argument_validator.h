// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "registry/validation_error.h"

namespace atelier::registry {

/// Checks a tool call's arguments against the tool's JSON Schema. The schema is compiled once, in
/// create(); validate() then only walks the arguments. Messages are rewritten from valijson's into
/// sentences a language model can act on, e.g. `/size: 5000 is above the maximum 1000`.
///
/// Thread-safety: validate() is const and may run on many threads at once.
class ArgumentValidator {
public:
    /// Compiles `schema` (an object schema within the supported subset). `color_properties` names
    /// top-level string properties that must also read "#RRGGBB" (JSON Schema `pattern` is not
    /// allowed, so this check runs after the schema's). `property_order` lists the top-level
    /// properties in declaration order, for the "known: ..." hint; empty means the schema's order.
    /// Fails with InvalidArgument when valijson cannot compile the schema.
    [[nodiscard]] static Result<ArgumentValidator> create(const nlohmann::json& schema,
                                                          std::vector<std::string> color_properties = {},
                                                          std::vector<std::string> property_order = {});

    ArgumentValidator(ArgumentValidator&&) noexcept;
    ArgumentValidator& operator=(ArgumentValidator&&) noexcept;
    ~ArgumentValidator();

    /// Every problem with `arguments`, sorted by pointer; empty when the call is valid. `null`
    /// arguments are read as `{}`.
    [[nodiscard]] std::vector<ValidationError> validate(const nlohmann::json& arguments) const;

private:
    struct Compiled;
    explicit ArgumentValidator(std::unique_ptr<Compiled> compiled);

    std::unique_ptr<Compiled> m_compiled;
};

} // namespace atelier::registry
