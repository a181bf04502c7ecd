// SPDX-License-Identifier: Apache-2.0
#include "api/media_info.h"

#include <cmath>
#include <cstdint>

namespace atelier::api {
namespace {

std::uint32_t big_endian(std::string_view bytes, std::size_t at, std::size_t count) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        value = (value << 8U) | static_cast<unsigned char>(bytes[at + i]);
    }
    return value;
}

std::uint32_t little_endian(std::string_view bytes, std::size_t at, std::size_t count) {
    std::uint32_t value = 0;
    for (std::size_t i = count; i > 0; --i) {
        value = (value << 8U) | static_cast<unsigned char>(bytes[at + i - 1]);
    }
    return value;
}

nlohmann::json size_of(std::uint32_t width, std::uint32_t height) {
    if (width == 0 || height == 0) {
        return nlohmann::json::object();
    }
    return {{"width", width}, {"height", height}};
}

nlohmann::json png(std::string_view bytes) {
    // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
    if (bytes.size() < 24 || bytes.substr(12, 4) != "IHDR") {
        return nlohmann::json::object();
    }
    return size_of(big_endian(bytes, 16, 4), big_endian(bytes, 20, 4));
}

nlohmann::json jpeg(std::string_view bytes) {
    std::size_t at = 2;
    while (at + 4 <= bytes.size()) {
        if (static_cast<unsigned char>(bytes[at]) != 0xFF) {
            return nlohmann::json::object();
        }
        const auto marker = static_cast<unsigned char>(bytes[at + 1]);
        if (marker == 0xFF) { // fill byte
            ++at;
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            at += 2; // markers without a length
            continue;
        }
        const std::uint32_t length = big_endian(bytes, at + 2, 2);
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
        const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (frame) {
            if (at + 9 > bytes.size()) {
                return nlohmann::json::object();
            }
            return size_of(big_endian(bytes, at + 7, 2), big_endian(bytes, at + 5, 2));
        }
        if (length < 2) {
            return nlohmann::json::object();
        }
        at += 2 + length;
    }
    return nlohmann::json::object();
}

nlohmann::json gif(std::string_view bytes) {
    if (bytes.size() < 10) {
        return nlohmann::json::object();
    }
    return size_of(little_endian(bytes, 6, 2), little_endian(bytes, 8, 2));
}

nlohmann::json webp(std::string_view bytes) {
    if (bytes.size() < 30) {
        return nlohmann::json::object();
    }
    const std::string_view chunk = bytes.substr(12, 4);
    if (chunk == "VP8X") {
        return size_of(little_endian(bytes, 24, 3) + 1, little_endian(bytes, 27, 3) + 1);
    }
    if (chunk == "VP8 ") { // lossy: the frame header after the start code 9D 01 2A
        return size_of(little_endian(bytes, 26, 2) & 0x3FFFU, little_endian(bytes, 28, 2) & 0x3FFFU);
    }
    if (chunk == "VP8L") { // lossless: signature 0x2F, then 14 bits each of width-1 and height-1
        const std::uint32_t bits = little_endian(bytes, 21, 4);
        return size_of((bits & 0x3FFFU) + 1, ((bits >> 14U) & 0x3FFFU) + 1);
    }
    return nlohmann::json::object();
}

nlohmann::json wav(std::string_view bytes) {
    std::uint32_t byte_rate = 0;
    std::size_t at = 12;
    while (at + 8 <= bytes.size()) {
        const std::string_view id = bytes.substr(at, 4);
        const std::uint32_t size = little_endian(bytes, at + 4, 4);
        if (id == "fmt " && at + 20 <= bytes.size()) {
            byte_rate = little_endian(bytes, at + 8 + 8, 4);
        } else if (id == "data") {
            if (byte_rate == 0) {
                return nlohmann::json::object();
            }
            const double seconds = static_cast<double>(size) / byte_rate;
            return {{"duration_s", std::round(seconds * 100) / 100}};
        }
        at += 8 + size + (size & 1U); // chunks are padded to an even size
    }
    return nlohmann::json::object();
}

} // namespace

nlohmann::json media_info(std::string_view bytes) {
    if (bytes.starts_with("\x89PNG\r\n\x1a\n")) {
        return png(bytes);
    }
    if (bytes.starts_with("\xFF\xD8")) {
        return jpeg(bytes);
    }
    if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) {
        return gif(bytes);
    }
    if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP") {
        return webp(bytes);
    }
    if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WAVE") {
        return wav(bytes);
    }
    return nlohmann::json::object();
}

} // namespace atelier::api
