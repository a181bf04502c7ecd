// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

#include "core/error.h"

namespace atelier {

/// A value or the Error that prevented it. Functions returning Result are [[nodiscard]].
template <class T> using Result = tl::expected<T, Error>;

/// `return fail(ErrorCode::NotFound, "no project 42");`
[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

[[nodiscard]] inline tl::unexpected<Error> fail(Error error) {
    return tl::unexpected<Error>(std::move(error));
}

namespace detail {
template <class T> T take_value(Result<T>&& result) {
    return std::move(*result);
}
inline void take_value(Result<void>&& /*result*/) {}
} // namespace detail

} // namespace atelier

/// Evaluates a Result expression; on error returns it from the enclosing function,
/// otherwise yields the value (GNU statement expression, as g++ and clang both accept).
#define ATELIER_TRY(expression)                                                                                        \
    ({                                                                                                                 \
        auto atelier_try_result = (expression);                                                                        \
        if (!atelier_try_result) {                                                                                     \
            return ::tl::unexpected<::atelier::Error>(std::move(atelier_try_result).error());                          \
        }                                                                                                              \
        ::atelier::detail::take_value(std::move(atelier_try_result));                                                  \
    })
