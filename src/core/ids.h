// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace atelier {

/// `bytes` random bytes from the operating system's CSPRNG as lowercase hex.
[[nodiscard]] std::string random_hex(std::size_t bytes);

/// A random (version 4) UUID in its canonical text form.
[[nodiscard]] std::string new_uuid();

/// Compares two secrets in time that depends only on their lengths, never on where they differ.
[[nodiscard]] bool constant_time_equals(std::string_view left, std::string_view right);

} // namespace atelier
