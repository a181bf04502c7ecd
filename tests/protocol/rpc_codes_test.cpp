// SPDX-License-Identifier: Apache-2.0
#include <set>

#include <gtest/gtest.h>

#include "protocol/rpc_codes.h"

namespace atelier::protocol {
namespace {

TEST(ProtocolCodes, UsesTheStandardJsonRpcNumbers) {
    EXPECT_EQ(rpc_code::kParseError, -32700);
    EXPECT_EQ(rpc_code::kInvalidRequest, -32600);
    EXPECT_EQ(rpc_code::kMethodNotFound, -32601);
    EXPECT_EQ(rpc_code::kInvalidParams, -32602);
    EXPECT_EQ(rpc_code::kInternalError, -32603);
}

TEST(ProtocolCodes, KeepsServerCodesDistinctAndInTheServerRange) {
    const int codes[] = {rpc_code::kEngineError,     rpc_code::kEngineLost,       rpc_code::kTimeout,
                         rpc_code::kCancelled,       rpc_code::kValidationFailed, rpc_code::kUnknownTool,
                         rpc_code::kUnauthorized,    rpc_code::kUnsupported,      rpc_code::kHandshakeRequired,
                         rpc_code::kPayloadTooLarge, rpc_code::kUnavailable,      rpc_code::kNotFound,
                         rpc_code::kConflict};
    std::set<int> seen;
    for (int code : codes) {
        EXPECT_GE(code, -32099);
        EXPECT_LE(code, -32000);
        EXPECT_TRUE(seen.insert(code).second) << code;
        EXPECT_NE(rpc_code_name(code), "unknown") << code;
    }
}

TEST(ProtocolCodes, MapsHubErrorsToRpcCodesAndBack) {
    for (ErrorCode code : {ErrorCode::EngineLost, ErrorCode::Timeout, ErrorCode::Cancelled, ErrorCode::Unauthorized,
                           ErrorCode::Unsupported, ErrorCode::EngineError, ErrorCode::Conflict}) {
        EXPECT_EQ(error_code_for_rpc(rpc_code_for(code)), code) << error_code_name(code);
    }
    EXPECT_EQ(rpc_code_for(ErrorCode::EngineLost), rpc_code::kEngineLost);
    EXPECT_EQ(rpc_code_for(ErrorCode::InvalidArgument), rpc_code::kInvalidParams);
}

TEST(ProtocolCodes, TreatsUnknownPeerCodesAsEngineErrors) {
    EXPECT_EQ(error_code_for_rpc(-1), ErrorCode::EngineError);
    EXPECT_EQ(rpc_code_name(-1), "unknown");
}

} // namespace
} // namespace atelier::protocol
