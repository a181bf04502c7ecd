#include "mcp/json_rpc.h"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

namespace atelier::mcp {

bool supported_protocol_version(std::string_view version) {
    return std::find(kProtocolVersions.begin(), kProtocolVersions.end(), version) != kProtocolVersions.end();
}

net::HttpResponse rpc_result(const nlohmann::json& id, const nlohmann::json& result) {
    return net::HttpResponse::json(200, nlohmann::json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump());
}

net::HttpResponse rpc_error(int status, const nlohmann::json& id, int code, std::string_view message) {
    const nlohmann::json body{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
    return net::HttpResponse::json(status, body.dump());
}

nlohmann::json text_result(std::string_view text, bool is_error) {
    nlohmann::json result{{"content", nlohmann::json::array({{{"type", "text"}, {"text", text}}})}};
    if (is_error) {
        result["isError"] = true;
    }
    return result;
}

std::string base64(std::string_view bytes) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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

} // namespace atelier::mcp
