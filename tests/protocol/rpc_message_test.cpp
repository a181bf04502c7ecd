// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/rpc_codes.h"
#include "protocol/rpc_message.h"

namespace atelier::protocol {
namespace {

using Json = nlohmann::json;

TEST(JsonRpcProtocol, SerializesRequestWithParams) {
    const auto text = serialize_request(RpcId{std::int64_t{7}}, "tools/call", Json{{"tool", "echo"}});
    EXPECT_EQ(Json::parse(text),
              Json::parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"tool":"echo"}})"));
}

TEST(JsonRpcProtocol, OmitsParamsWhenNull) {
    EXPECT_EQ(Json::parse(serialize_notification("engine/shutdown")),
              Json::parse(R"({"jsonrpc":"2.0","method":"engine/shutdown"})"));
}

TEST(JsonRpcProtocol, RoundTripsARequestWithStringId) {
    const auto text = serialize_request(RpcId{std::string("call-1")}, "tools/call", Json{{"a", 1}});
    auto parsed = parse_rpc_message(text);
    ASSERT_TRUE(parsed.has_value());
    const auto& request = std::get<RpcRequest>(*parsed);
    EXPECT_EQ(std::get<std::string>(request.id), "call-1");
    EXPECT_EQ(request.method, "tools/call");
    EXPECT_EQ(request.params, (Json{{"a", 1}}));
}

TEST(JsonRpcProtocol, TellsNotificationsFromRequests) {
    auto notification = parse_rpc_message(R"({"jsonrpc":"2.0","method":"scene/changed","params":{"summary":"x"}})");
    auto request = parse_rpc_message(R"({"jsonrpc":"2.0","id":1,"method":"scene/changed"})");
    ASSERT_TRUE(notification.has_value());
    ASSERT_TRUE(request.has_value());
    EXPECT_TRUE(std::holds_alternative<RpcNotification>(*notification));
    EXPECT_TRUE(std::holds_alternative<RpcRequest>(*request));
    EXPECT_TRUE(std::get<RpcRequest>(*request).params.is_null());
}

TEST(JsonRpcProtocol, RoundTripsAnErrorWithData) {
    RpcError error{rpc_code::kEngineError, "division by zero", Json{{"traceback", "line 3"}}};
    auto parsed = parse_rpc_message(serialize_error(RpcId{std::int64_t{12}}, error));
    ASSERT_TRUE(parsed.has_value());
    const auto& response = std::get<RpcResponse>(*parsed);
    ASSERT_TRUE(response.is_error());
    EXPECT_EQ(std::get<std::int64_t>(response.id), 12);
    EXPECT_EQ(response.error().code, rpc_code::kEngineError);
    EXPECT_EQ(response.error().message, "division by zero");
    ASSERT_TRUE(response.error().data.has_value());
    EXPECT_EQ((*response.error().data)["traceback"], "line 3");
}

TEST(JsonRpcProtocol, RoundTripsAnErrorWithoutData) {
    const auto text = serialize_error(RpcId{}, RpcError{rpc_code::kParseError, "bad", std::nullopt});
    EXPECT_FALSE(Json::parse(text)["error"].contains("data"));
    EXPECT_TRUE(Json::parse(text)["id"].is_null());
    auto parsed = parse_rpc_message(text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_FALSE(std::get<RpcResponse>(*parsed).error().data.has_value());
}

TEST(JsonRpcProtocol, RoundTripsAResult) {
    const Json result{{"content", Json::array({{{"type", "text"}, {"text", "ok"}}})}};
    auto parsed = parse_rpc_message(serialize_result(RpcId{std::int64_t{3}}, result));
    ASSERT_TRUE(parsed.has_value());
    const auto& response = std::get<RpcResponse>(*parsed);
    ASSERT_FALSE(response.is_error());
    EXPECT_EQ(response.result(), result);
}

TEST(JsonRpcProtocol, SerializesAnyMessageAsItsOwnSerializerWould) {
    RpcMessage message = RpcNotification{"log", Json{{"level", "info"}}};
    EXPECT_EQ(serialize_rpc_message(message), serialize_notification("log", Json{{"level", "info"}}));
}

TEST(JsonRpcProtocol, DoesNotThrowOnInvalidUtf8InAString) {
    const std::string bad("\xff\xfe", 2);
    std::string text;
    EXPECT_NO_THROW(text = serialize_result(RpcId{std::int64_t{1}}, Json(bad)));
    EXPECT_TRUE(parse_rpc_message(text).has_value());
}

TEST(JsonRpcProtocol, KeepsTheIdOfAnInvalidRequestForTheErrorReply) {
    auto parsed = parse_rpc_message(R"({"jsonrpc":"2.0","id":"r1","method":"x","params":"nope"})");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(std::get<std::string>(parsed.error().id), "r1");
    EXPECT_EQ(parsed.error().to_error().code, ErrorCode::ProtocolError);
    EXPECT_NE(parsed.error().to_error().message.find("invalid_request"), std::string::npos);
}

TEST(JsonRpcProtocol, DistinguishesIntegerAndStringIdsInText) {
    EXPECT_EQ(rpc_id_to_string(RpcId{std::int64_t{42}}), "42");
    EXPECT_EQ(rpc_id_to_string(RpcId{std::string("42")}), "\"42\"");
    EXPECT_EQ(rpc_id_to_string(RpcId{}), "null");
}

} // namespace
} // namespace atelier::protocol
