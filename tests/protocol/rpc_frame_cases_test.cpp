// SPDX-License-Identifier: Apache-2.0
// Runs the frame cases in cases/rpc_frames.json: each frame and what parse_rpc_message must make
// of it (a message kind with its id/method, or a JSON-RPC error code).

#include "atelier/source_dir.h"
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/rpc_message.h"

namespace atelier::protocol {
namespace {

using Json = nlohmann::json;

std::vector<Json> load_cases() {
    std::ifstream file(std::string(ATELIER_SOURCE_DIR) + "/tests/protocol/cases/rpc_frames.json");
    Json cases = Json::parse(file, nullptr, false);
    if (!cases.is_array()) {
        return {};
    }
    return {cases.begin(), cases.end()};
}

class RpcFrameCase : public testing::TestWithParam<Json> {};

std::string kind_of(const RpcMessage& message) {
    if (std::holds_alternative<RpcRequest>(message)) {
        return "request";
    }
    if (std::holds_alternative<RpcNotification>(message)) {
        return "notification";
    }
    return std::get<RpcResponse>(message).is_error() ? "error" : "result";
}

RpcId id_of(const RpcMessage& message) {
    if (const auto* request = std::get_if<RpcRequest>(&message)) {
        return request->id;
    }
    if (const auto* response = std::get_if<RpcResponse>(&message)) {
        return response->id;
    }
    return {};
}

TEST_P(RpcFrameCase, ParsesAsExpected) {
    const Json& test_case = GetParam();
    const Json& expect = test_case.at("expect");
    auto parsed = parse_rpc_message(test_case.at("frame").get<std::string>());

    if (expect.contains("error")) {
        ASSERT_FALSE(parsed.has_value()) << "expected a failure for " << test_case.at("frame");
        EXPECT_EQ(parsed.error().error.code, expect.at("error").get<int>()) << parsed.error().error.message;
        if (expect.contains("id")) {
            EXPECT_EQ(rpc_id_to_json(parsed.error().id), expect.at("id"));
        }
        if (expect.contains("contains")) {
            EXPECT_NE(parsed.error().error.message.find(expect.at("contains").get<std::string>()), std::string::npos)
                << parsed.error().error.message;
        }
        return;
    }
    ASSERT_TRUE(parsed.has_value()) << parsed.error().error.message;
    EXPECT_EQ(kind_of(*parsed), expect.at("kind").get<std::string>());
    if (expect.contains("id")) {
        EXPECT_EQ(rpc_id_to_json(id_of(*parsed)), expect.at("id"));
    }
    if (expect.contains("method")) {
        const auto* request = std::get_if<RpcRequest>(&*parsed);
        const auto* notification = std::get_if<RpcNotification>(&*parsed);
        EXPECT_EQ(request ? request->method : notification->method, expect.at("method").get<std::string>());
    }
    if (expect.contains("code")) {
        EXPECT_EQ(std::get<RpcResponse>(*parsed).error().code, expect.at("code").get<int>());
    }
}

INSTANTIATE_TEST_SUITE_P(Protocol, RpcFrameCase, testing::ValuesIn(load_cases()),
                         [](const testing::TestParamInfo<Json>& param_info) {
                             return param_info.param.at("name").get<std::string>();
                         });

TEST(ProtocolFrameCases, FileIsPresentAndNonEmpty) {
    EXPECT_GT(load_cases().size(), 20u);
}

} // namespace
} // namespace atelier::protocol
