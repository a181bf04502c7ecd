// SPDX-License-Identifier: Apache-2.0
#pragma once
// What every fuzz target shares: the input as a string_view, and a check that turns a broken
// property into a crash libFuzzer records (the input is kept as an artifact).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace atelier::fuzz {

[[nodiscard]] inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void property_broken(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "fuzz property broken at %s:%d: %s\n", file, line, condition);
    std::abort();
}

} // namespace atelier::fuzz

/// Aborts (a crash for libFuzzer) when a property of the parser does not hold for this input.
#define ATELIER_FUZZ_CHECK(condition)                                                                                  \
    do {                                                                                                               \
        if (!(condition)) {                                                                                            \
            ::atelier::fuzz::property_broken(#condition, __FILE__, __LINE__);                                          \
        }                                                                                                              \
    } while (false)
