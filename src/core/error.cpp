// SPDX-License-Identifier: Apache-2.0
#include "core/error.h"

#include <array>

#include <nlohmann/json.hpp>

namespace atelier {
namespace {

struct ErrorMapping {
    ErrorCode code;
    std::string_view name;
    int http_status;
    std::uint16_t close_code;
};

// The one place where an error becomes a protocol's status. Close codes: 1008 policy violation,
// 1009 too big, 1011 internal error, 1001 going away, 1002 protocol error, 1003 unsupported data.
constexpr std::array kMappings{
    ErrorMapping{ErrorCode::InvalidArgument, "invalid_argument", 400, 1008},
    ErrorMapping{ErrorCode::InvalidConfig, "invalid_config", 500, 1011},
    ErrorMapping{ErrorCode::Unauthorized, "unauthorized", 401, 1008},
    ErrorMapping{ErrorCode::Forbidden, "forbidden", 403, 1008},
    ErrorMapping{ErrorCode::NotFound, "not_found", 404, 1008},
    ErrorMapping{ErrorCode::MethodNotAllowed, "method_not_allowed", 405, 1008},
    ErrorMapping{ErrorCode::Conflict, "conflict", 409, 1008},
    ErrorMapping{ErrorCode::PayloadTooLarge, "payload_too_large", 413, 1009},
    ErrorMapping{ErrorCode::HeadersTooLarge, "headers_too_large", 431, 1009},
    ErrorMapping{ErrorCode::ProtocolError, "protocol_error", 400, 1002},
    ErrorMapping{ErrorCode::Unsupported, "unsupported", 400, 1003},
    ErrorMapping{ErrorCode::Timeout, "timeout", 504, 1011},
    ErrorMapping{ErrorCode::Cancelled, "cancelled", 409, 1011},
    ErrorMapping{ErrorCode::Unavailable, "unavailable", 503, 1001},
    ErrorMapping{ErrorCode::EngineLost, "engine_lost", 502, 1011},
    ErrorMapping{ErrorCode::EngineError, "engine_error", 502, 1011},
    ErrorMapping{ErrorCode::Internal, "internal", 500, 1011},
};

const ErrorMapping& mapping(ErrorCode code) {
    for (const auto& entry : kMappings) {
        if (entry.code == code) {
            return entry;
        }
    }
    return kMappings.back();
}

} // namespace

std::string_view error_code_name(ErrorCode code) {
    return mapping(code).name;
}
int http_status(ErrorCode code) {
    return mapping(code).http_status;
}
std::uint16_t websocket_close_code(ErrorCode code) {
    return mapping(code).close_code;
}

std::string error_body(const Error& error) {
    nlohmann::json body{{"error", {{"code", error_code_name(error.code)}, {"message", error.message}}}};
    if (!error.details.empty()) {
        auto details = nlohmann::json::parse(error.details, nullptr, false);
        body["error"]["details"] = details.is_discarded() ? nlohmann::json(error.details) : std::move(details);
    }
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace atelier
