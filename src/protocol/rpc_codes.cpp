// SPDX-License-Identifier: Apache-2.0
#include "protocol/rpc_codes.h"

#include <array>

namespace atelier::protocol {
namespace {

struct CodeMapping {
    int rpc_code;
    std::string_view name;
    ErrorCode error_code;
};

// One table for both directions. Where several hub codes share a JSON-RPC code, the first row
// with that JSON-RPC code wins the reverse lookup.
constexpr std::array kCodes{
    CodeMapping{rpc_code::kParseError, "parse_error", ErrorCode::ProtocolError},
    CodeMapping{rpc_code::kInvalidRequest, "invalid_request", ErrorCode::ProtocolError},
    CodeMapping{rpc_code::kMethodNotFound, "method_not_found", ErrorCode::NotFound},
    CodeMapping{rpc_code::kInvalidParams, "invalid_params", ErrorCode::InvalidArgument},
    CodeMapping{rpc_code::kInternalError, "internal_error", ErrorCode::Internal},
    CodeMapping{rpc_code::kEngineError, "engine_error", ErrorCode::EngineError},
    CodeMapping{rpc_code::kEngineLost, "engine_lost", ErrorCode::EngineLost},
    CodeMapping{rpc_code::kTimeout, "timeout", ErrorCode::Timeout},
    CodeMapping{rpc_code::kCancelled, "cancelled", ErrorCode::Cancelled},
    CodeMapping{rpc_code::kValidationFailed, "validation_failed", ErrorCode::InvalidArgument},
    CodeMapping{rpc_code::kUnknownTool, "unknown_tool", ErrorCode::NotFound},
    CodeMapping{rpc_code::kUnauthorized, "unauthorized", ErrorCode::Unauthorized},
    CodeMapping{rpc_code::kUnsupported, "unsupported", ErrorCode::Unsupported},
    CodeMapping{rpc_code::kHandshakeRequired, "handshake_required", ErrorCode::ProtocolError},
    CodeMapping{rpc_code::kPayloadTooLarge, "payload_too_large", ErrorCode::PayloadTooLarge},
    CodeMapping{rpc_code::kUnavailable, "unavailable", ErrorCode::Unavailable},
    CodeMapping{rpc_code::kNotFound, "not_found", ErrorCode::NotFound},
    CodeMapping{rpc_code::kConflict, "conflict", ErrorCode::Conflict},
};

} // namespace

int rpc_code_for(ErrorCode code) {
    switch (code) {
    case ErrorCode::InvalidArgument:
        return rpc_code::kInvalidParams;
    case ErrorCode::ProtocolError:
        return rpc_code::kInvalidRequest;
    case ErrorCode::Unauthorized:
    case ErrorCode::Forbidden:
        return rpc_code::kUnauthorized;
    case ErrorCode::NotFound:
        return rpc_code::kNotFound;
    case ErrorCode::MethodNotAllowed:
        return rpc_code::kMethodNotFound;
    case ErrorCode::Conflict:
        return rpc_code::kConflict;
    case ErrorCode::PayloadTooLarge:
    case ErrorCode::HeadersTooLarge:
        return rpc_code::kPayloadTooLarge;
    case ErrorCode::Unsupported:
        return rpc_code::kUnsupported;
    case ErrorCode::Timeout:
        return rpc_code::kTimeout;
    case ErrorCode::Cancelled:
        return rpc_code::kCancelled;
    case ErrorCode::Unavailable:
        return rpc_code::kUnavailable;
    case ErrorCode::EngineLost:
        return rpc_code::kEngineLost;
    case ErrorCode::EngineError:
        return rpc_code::kEngineError;
    case ErrorCode::InvalidConfig:
    case ErrorCode::Internal:
        return rpc_code::kInternalError;
    }
    return rpc_code::kInternalError;
}

ErrorCode error_code_for_rpc(int rpc_code) {
    for (const auto& entry : kCodes) {
        if (entry.rpc_code == rpc_code) {
            return entry.error_code;
        }
    }
    return ErrorCode::EngineError;
}

std::string_view rpc_code_name(int rpc_code) {
    for (const auto& entry : kCodes) {
        if (entry.rpc_code == rpc_code) {
            return entry.name;
        }
    }
    return "unknown";
}

} // namespace atelier::protocol
