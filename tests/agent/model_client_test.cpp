// SPDX-License-Identifier: Apache-2.0
// ModelClient over real HTTP against the fake model server (tests/support/fake_model_server.py),
// once per wire format.
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/model_client.h"
#include "fake_model.h"

namespace atelier::agent {
namespace {

using nlohmann::json;
using testing::FakeModelServer;

class ModelClientTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string error;
        server = FakeModelServer::start(&error);
        ASSERT_NE(server, nullptr) << error;
    }

    ModelClient client(int retries = 2) const {
        ModelSettings settings;
        settings.provider = GetParam();
        settings.model = "fake";
        settings.base_url = server->base_url() + (GetParam() == "openai" ? "/v1" : "");
        settings.api_key = "test-key";
        RetryPolicy policy;
        policy.max_retries = retries;
        policy.base = std::chrono::milliseconds(1);
        return ModelClient(settings, make_wire_format(GetParam()), policy);
    }

    Result<ModelReply> ask(const ModelClient& model, std::vector<RetryNotice>* retries = nullptr,
                           std::string* streamed = nullptr) {
        net::CancelSignal cancel;
        ModelRequest request{"system", {{Role::User, {Block::text_block("hello")}}}, {}};
        return model.complete(
            request,
            [streamed](std::string_view text) {
                if (streamed) {
                    streamed->append(text);
                }
            },
            [retries](const RetryNotice& notice) {
                if (retries) {
                    retries->push_back(notice);
                }
            },
            cancel);
    }

    std::unique_ptr<FakeModelServer> server;
};

TEST_P(ModelClientTest, StreamsTextAndToolCalls) {
    ASSERT_TRUE(server->script(
        {{"replies", json::array({{{"text", "Hello there, friend"},
                                   {"tool_calls", json::array({{{"name", "basics__add"},
                                                                {"arguments", {{"a", 1}, {"b", 2}}}}})}}})}}));
    std::string streamed;
    const auto reply = ask(client(), nullptr, &streamed);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(streamed, "Hello there, friend");
    EXPECT_EQ(reply->message.text(), "Hello there, friend");
    ASSERT_EQ(reply->message.tool_uses().size(), 1U);
    EXPECT_EQ(reply->message.tool_uses()[0]->input, json({{"a", 1}, {"b", 2}}));
    EXPECT_EQ(reply->usage.input_tokens, 10);
    const auto requests = server->requests();
    ASSERT_EQ(requests.size(), 1U);
    EXPECT_EQ(requests[0]["body"]["stream"], true);
    EXPECT_EQ(requests[0]["body"]["model"], "fake");
    if (GetParam() == "anthropic") {
        EXPECT_EQ(requests[0]["headers"]["x-api-key"], "test-key");
        EXPECT_EQ(requests[0]["headers"]["anthropic-version"], "2023-06-01");
    } else {
        EXPECT_EQ(requests[0]["headers"]["authorization"], "Bearer test-key");
    }
}

TEST_P(ModelClientTest, KeepsTheConnectionFromOneRequestToTheNext) {
    ASSERT_TRUE(server->script({{"replies", json::array({{{"text", "one"}}, {{"status", 429}}, {{"text", "two"}}})}}));
    const auto model = client();
    ASSERT_TRUE(ask(model));
    ASSERT_TRUE(ask(model)); // a 429 and its retry
    const auto requests = server->requests();
    ASSERT_EQ(requests.size(), 3U);
    EXPECT_EQ(requests[0]["client_port"], requests[1]["client_port"]);
    EXPECT_EQ(requests[1]["client_port"], requests[2]["client_port"]);
}

TEST_P(ModelClientTest, AKeptConnectionTheServerClosedIsReplacedWithoutARetry) {
    ASSERT_TRUE(server->script({{"replies", json::array({{{"text", "one"}, {"close", true}}, {{"text", "two"}}})}}));
    const auto model = client();
    ASSERT_TRUE(ask(model));
    std::vector<RetryNotice> retries;
    const auto reply = ask(model, &retries);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->message.text(), "two");
    EXPECT_TRUE(retries.empty());
    const auto requests = server->requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_NE(requests[0]["client_port"], requests[1]["client_port"]);
}

TEST_P(ModelClientTest, RetriesA429HonouringRetryAfterThenA529) {
    ASSERT_TRUE(server->script(
        {{"replies",
          json::array({{{"status", 429},
                        {"headers", {{"retry-after", "0"}}},
                        {"error", {{"type", "rate_limit_error"}, {"message", "slow down"}}}},
                       {{"status", 529}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}},
                       {{"text", "ok"}}})}}));
    std::vector<RetryNotice> retries;
    const auto reply = ask(client(), &retries);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->message.text(), "ok");
    ASSERT_EQ(retries.size(), 2U);
    EXPECT_EQ(retries[0].status, 429);
    EXPECT_EQ(retries[0].delay, std::chrono::milliseconds(0)); // retry-after: 0 was honoured
    EXPECT_NE(retries[0].reason.find("slow down"), std::string::npos);
    EXPECT_EQ(retries[1].status, 529);
    EXPECT_EQ(server->requests().size(), 3U);
}

TEST_P(ModelClientTest, GivesUpAfterTheRetriesWithTheProvidersMessage) {
    ASSERT_TRUE(server->script({{"replies", json::array({{{"status", 503}}, {{"status", 503}}, {{"status", 503}}})}}));
    const auto reply = ask(client(2));
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::Unavailable);
    EXPECT_NE(reply.error().message.find("503"), std::string::npos) << reply.error().message;
    EXPECT_EQ(server->requests().size(), 3U);
}

TEST_P(ModelClientTest, NeverRetriesA401) {
    ASSERT_TRUE(server->script(
        {{"replies", json::array({{{"status", 401},
                                   {"error", {{"type", "authentication_error"}, {"message", "invalid x-api-key"}}}},
                                  {{"text", "never"}}})}}));
    std::vector<RetryNotice> retries;
    const auto reply = ask(client(), &retries);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::Unauthorized);
    EXPECT_NE(reply.error().message.find("invalid x-api-key"), std::string::npos) << reply.error().message;
    EXPECT_TRUE(retries.empty());
    EXPECT_EQ(server->requests().size(), 1U);
}

TEST_P(ModelClientTest, RetriesAnErrorEventMidStream) {
    ASSERT_TRUE(server->script(
        {{"replies", json::array({{{"text", "partial"},
                                   {"error_event", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}},
                                  {{"text", "whole"}}})}}));
    std::vector<RetryNotice> retries;
    const auto reply = ask(client(), &retries);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->message.text(), "whole");
    ASSERT_EQ(retries.size(), 1U);
    EXPECT_EQ(retries[0].status, 0);
    EXPECT_NE(retries[0].reason.find("Overloaded"), std::string::npos);
}

TEST_P(ModelClientTest, ConnectionRefusedIsRetriedThenReported) {
    ModelSettings settings;
    settings.provider = GetParam();
    settings.model = "fake";
    settings.base_url = "http://127.0.0.1:1";
    RetryPolicy policy;
    policy.base = std::chrono::milliseconds(1);
    const ModelClient model(settings, make_wire_format(GetParam()), policy);
    std::vector<RetryNotice> retries;
    const auto reply = ask(model, &retries);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(retries.size(), 2U);
}

TEST_P(ModelClientTest, CancelClosesAStalledStreamAtOnce) {
    ASSERT_TRUE(server->script({{"replies", json::array({{{"text", "slow answer"}, {"stall_ms", 60'000}}})}}));
    const auto model = client();
    net::CancelSignal cancel;
    std::string streamed;
    std::thread canceller;
    ModelRequest request{"", {{Role::User, {Block::text_block("hi")}}}, {}};
    const auto reply = model.complete(
        request,
        [&](std::string_view text) {
            streamed.append(text);
            if (!canceller.joinable()) {
                canceller = std::thread([&cancel] { cancel.cancel(); });
            }
        },
        [](const RetryNotice&) {}, cancel);
    canceller.join();
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, ErrorCode::Cancelled);
    // Only the piece before the stall arrived: the rest would have followed had the stream stayed open.
    EXPECT_EQ(streamed, "slow");
}

INSTANTIATE_TEST_SUITE_P(BothProviders, ModelClientTest, ::testing::Values("anthropic", "openai"),
                         [](const auto& param_info) { return param_info.param; });

} // namespace
} // namespace atelier::agent
