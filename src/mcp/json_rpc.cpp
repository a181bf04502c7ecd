// SPDX-License-Identifier: Apache-2.0
#include "mcp/json_rpc.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace atelier::mcp {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

} // namespace

bool supported_protocol_version(std::string_view version) {
    return std::find(kProtocolVersions.begin(), kProtocolVersions.end(), version) != kProtocolVersions.end();
}

nlohmann::json result_message(const nlohmann::json& id, const nlohmann::json& result) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
}

nlohmann::json error_message(const nlohmann::json& id, int code, std::string_view message, const nlohmann::json& data) {
    nlohmann::json error{{"code", code}, {"message", message}};
    if (!data.is_null()) {
        error["data"] = data;
    }
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

nlohmann::json notification(std::string_view method, const nlohmann::json& params) {
    nlohmann::json message{{"jsonrpc", "2.0"}, {"method", method}};
    if (!params.is_null()) {
        message["params"] = params;
    }
    return message;
}

net::HttpResponse rpc_result(const nlohmann::json& id, const nlohmann::json& result) {
    return net::HttpResponse::json(200, result_message(id, result).dump());
}

net::HttpResponse rpc_error(int status, const nlohmann::json& id, int code, std::string_view message) {
    return rpc_error(status, id, code, message, nullptr);
}

net::HttpResponse rpc_error(int status, const nlohmann::json& id, int code, std::string_view message,
                            const nlohmann::json& data) {
    return net::HttpResponse::json(status, error_message(id, code, message, data).dump());
}

nlohmann::json text_result(std::string_view text, bool is_error) {
    nlohmann::json result{{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})}};
    if (is_error) {
        result["isError"] = true;
    }
    return result;
}

std::string base64(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U) |
                       (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U) |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += kAlphabet[(n >> 18U) & 63U];
        out += kAlphabet[(n >> 12U) & 63U];
        out += kAlphabet[(n >> 6U) & 63U];
        out += kAlphabet[n & 63U];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16U;
        if (rest == 2) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8U;
        }
        out += kAlphabet[(n >> 18U) & 63U];
        out += kAlphabet[(n >> 12U) & 63U];
        out += rest == 2 ? kAlphabet[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

bool base64_decode(std::string_view text, std::string& out) {
    if (text.size() % 4 != 0) {
        return false;
    }
    out.clear();
    std::uint32_t bits = 0;
    int count = 0;
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '=') {
            // Padding only in the last two places, and nothing but padding after it.
            if (i + 2 < text.size() || ++padding > 2) {
                return false;
            }
            bits <<= 6U;
        } else {
            const auto at = kAlphabet.find(c);
            if (at == std::string_view::npos || padding > 0) {
                return false;
            }
            bits = (bits << 6U) | static_cast<std::uint32_t>(at);
        }
        if (++count == 4) {
            out += static_cast<char>((bits >> 16U) & 0xFFU);
            out += static_cast<char>((bits >> 8U) & 0xFFU);
            out += static_cast<char>(bits & 0xFFU);
            bits = 0;
            count = 0;
        }
    }
    out.resize(out.size() - padding);
    return true;
}

bool accepts(std::string_view accept, std::string_view media_type) {
    std::size_t start = 0;
    while (start <= accept.size()) {
        const auto end = std::min(accept.find(',', start), accept.size());
        std::string_view item = accept.substr(start, end - start);
        item = item.substr(0, item.find(';'));
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item == media_type || item == "*/*") {
            return true;
        }
        start = end + 1;
    }
    return false;
}

} // namespace atelier::mcp
