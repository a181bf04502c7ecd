// SPDX-License-Identifier: Apache-2.0
#include "core/ids.h"

#include <array>
#include <cstdint>
#include <sys/random.h>

namespace atelier {
namespace {

void fill_random(unsigned char* data, std::size_t size) {
    std::size_t filled = 0;
    while (filled < size) {
        const ssize_t got = getrandom(data + filled, size - filled, 0);
        if (got > 0) {
            filled += static_cast<std::size_t>(got);
        }
        // getrandom only fails with EINTR once the pool is initialised; retry.
    }
}

std::string to_hex(const unsigned char* data, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = kDigits[data[i] >> 4];
        out[2 * i + 1] = kDigits[data[i] & 0x0f];
    }
    return out;
}

} // namespace

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    fill_random(reinterpret_cast<unsigned char*>(raw.data()), bytes);
    return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

std::string new_uuid() {
    std::array<unsigned char, 16> raw{};
    fill_random(raw.data(), raw.size());
    raw[6] = static_cast<unsigned char>((raw[6] & 0x0f) | 0x40);
    raw[8] = static_cast<unsigned char>((raw[8] & 0x3f) | 0x80);
    const std::string hex = to_hex(raw.data(), raw.size());
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20);
}

bool constant_time_equals(std::string_view left, std::string_view right) {
    // Lengths are not secret (tokens have a fixed length); the contents are.
    if (left.size() != right.size()) {
        return false;
    }
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < left.size(); ++i) {
        difference = difference | static_cast<unsigned char>(left[i] ^ right[i]);
    }
    return difference == 0;
}

} // namespace atelier
