#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/wire_format.h"

namespace atelier::agent {
namespace {

using nlohmann::json;

SseEvent event(const std::string& name, const json& data) {
    return {name, data.dump(), ""};
}

struct Decoded {
    ModelResult<ModelReply> reply = tl::unexpected(ModelFailure{});
    std::string streamed;
    std::optional<ModelFailure> failure;
};

Decoded decode(const WireFormat& format, const std::vector<SseEvent>& events) {
    Decoded out;
    auto decoder = format.decoder([&out](std::string_view text) { out.streamed += text; });
    for (const auto& item : events) {
        if (auto handled = decoder->on_event(item); !handled) {
            out.failure = handled.error();
            return out;
        }
    }
    out.reply = decoder->finish();
    return out;
}

Transcript sample_transcript() {
    Transcript transcript;
    transcript.push_back({Role::User, {Block::text_block("make a red cube")}});
    transcript.push_back(
        {Role::Assistant,
         {Block::text_block("Adding it."), Block::tool_use("t1", "scene__create", {{"name", "cube"}})}});
    transcript.push_back(
        {Role::User,
         {Block::tool_result("t1", "scene__create",
                             {Block::text_block("created"), Block::image_block("image/png", "AAAA")}, false)}});
    return transcript;
}

const std::vector<ToolDefinition> kTools{
    {"scene__create", "Add an object", {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}};

TEST(AnthropicFormat, DecodesStreamedTextAndToolUseWithUsage) {
    auto format = make_anthropic_format();
    const auto decoded = decode(
        *format,
        {event("message_start",
               {{"type", "message_start"}, {"message", {{"usage", {{"input_tokens", 12}, {"output_tokens", 1}}}}}}),
         event("ping", {{"type", "ping"}}),
         event("content_block_start",
               {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}}),
         event("content_block_delta",
               {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", "Hel"}}}}),
         event("content_block_delta",
               {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "text_delta"}, {"text", "lo"}}}}),
         event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}),
         event("content_block_start",
               {{"type", "content_block_start"},
                {"index", 1},
                {"content_block",
                 {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "scene__create"}, {"input", json::object()}}}}),
         event("content_block_delta", {{"type", "content_block_delta"},
                                       {"index", 1},
                                       {"delta", {{"type", "input_json_delta"}, {"partial_json", "{\"na"}}}}),
         event("content_block_delta", {{"type", "content_block_delta"},
                                       {"index", 1},
                                       {"delta", {{"type", "input_json_delta"}, {"partial_json", "me\": \"cube\"}"}}}}),
         event("content_block_stop", {{"type", "content_block_stop"}, {"index", 1}}),
         event(
             "message_delta",
             {{"type", "message_delta"}, {"delta", {{"stop_reason", "tool_use"}}}, {"usage", {{"output_tokens", 30}}}}),
         event("message_stop", {{"type", "message_stop"}})});
    ASSERT_FALSE(decoded.failure) << decoded.failure->error.message;
    ASSERT_TRUE(decoded.reply) << decoded.reply.error().error.message;
    EXPECT_EQ(decoded.streamed, "Hello");
    EXPECT_EQ(decoded.reply->message.text(), "Hello");
    ASSERT_EQ(decoded.reply->message.tool_uses().size(), 1U);
    const auto* use = decoded.reply->message.tool_uses()[0];
    EXPECT_EQ(use->tool_id, "toolu_1");
    EXPECT_EQ(use->input, json({{"name", "cube"}}));
    EXPECT_TRUE(use->raw_input.empty());
    EXPECT_EQ(decoded.reply->stop_reason, "tool_use");
    EXPECT_EQ(decoded.reply->usage.input_tokens, 12);
    EXPECT_EQ(decoded.reply->usage.output_tokens, 30);
}

TEST(AnthropicFormat, KeepsMalformedToolJsonAsRawInput) {
    auto format = make_anthropic_format();
    const auto decoded = decode(
        *format,
        {event("content_block_start", {{"type", "content_block_start"},
                                       {"index", 0},
                                       {"content_block", {{"type", "tool_use"}, {"id", "t"}, {"name", "x"}}}}),
         event("content_block_delta", {{"type", "content_block_delta"},
                                       {"index", 0},
                                       {"delta", {{"type", "input_json_delta"}, {"partial_json", "{\"a\": 1,"}}}}),
         event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}),
         event("message_stop", {{"type", "message_stop"}})});
    ASSERT_TRUE(decoded.reply);
    const auto* use = decoded.reply->message.tool_uses().at(0);
    EXPECT_EQ(use->raw_input, "{\"a\": 1,");
    EXPECT_EQ(use->input, json::object());
}

TEST(AnthropicFormat, AnErrorEventAfterTheOkFailsRetryablyWhenOverloaded) {
    auto format = make_anthropic_format();
    const auto overloaded = decode(
        *format,
        {event("error", {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}})});
    ASSERT_TRUE(overloaded.failure);
    EXPECT_TRUE(overloaded.failure->retryable);
    EXPECT_NE(overloaded.failure->error.message.find("Overloaded"), std::string::npos);
    const auto invalid = decode(
        *format,
        {event("error", {{"type", "error"}, {"error", {{"type", "invalid_request_error"}, {"message", "bad"}}}})});
    ASSERT_TRUE(invalid.failure);
    EXPECT_FALSE(invalid.failure->retryable);
}

TEST(AnthropicFormat, AStreamThatStopsEarlyIsAFailure) {
    auto format = make_anthropic_format();
    const auto decoded =
        decode(*format, {event("message_start", {{"type", "message_start"}, {"message", json::object()}})});
    ASSERT_FALSE(decoded.reply);
    EXPECT_TRUE(decoded.reply.error().retryable);
}

TEST(AnthropicFormat, BuildsToolsToolResultsAndImages) {
    auto format = make_anthropic_format();
    ModelSettings settings{"anthropic", "claude-x", "http://127.0.0.1:9/", "key", 512, 0.5};
    const auto http = format->build(settings, {"be brief", sample_transcript(), kTools});
    EXPECT_EQ(http.url, "http://127.0.0.1:9/v1/messages");
    const auto body = json::parse(http.body);
    EXPECT_EQ(body["model"], "claude-x");
    EXPECT_EQ(body["system"], "be brief");
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["temperature"], 0.5);
    EXPECT_EQ(body["tools"][0]["input_schema"]["type"], "object");
    EXPECT_EQ(body["messages"][1]["content"][1]["type"], "tool_use");
    const auto& result = body["messages"][2]["content"][0];
    EXPECT_EQ(result["type"], "tool_result");
    EXPECT_EQ(result["tool_use_id"], "t1");
    EXPECT_EQ(result["content"][1]["type"], "image");
    EXPECT_EQ(result["content"][1]["source"]["data"], "AAAA");
    bool has_key = false;
    for (const auto& [name, value] : http.headers) {
        has_key = has_key || (name == "x-api-key" && value == "key");
    }
    EXPECT_TRUE(has_key);
}

json chunk(const json& delta, const json& finish = nullptr) {
    return {{"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
}

TEST(OpenAiFormat, AccumulatesToolCallDeltasByIndex) {
    auto format = make_openai_format();
    const auto decoded = decode(
        *format,
        {event("message", chunk({{"role", "assistant"}, {"content", "Hi"}})),
         event("message",
               chunk({{"tool_calls",
                       json::array(
                           {{{"index", 0}, {"id", "c1"}, {"function", {{"name", "a"}, {"arguments", "{\"x\":"}}}}})}})),
         event(
             "message",
             chunk({{"tool_calls",
                     json::array({{{"index", 1}, {"id", "c2"}, {"function", {{"name", "b"}, {"arguments", ""}}}}})}})),
         event("message", chunk({{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", "1}"}}}}})}})),
         event("message", chunk({{"tool_calls", json::array({{{"index", 1}, {"function", {{"arguments", "{}"}}}}})}})),
         event("message", chunk(json::object(), "tool_calls")),
         event("message", {{"choices", json::array()}, {"usage", {{"prompt_tokens", 7}, {"completion_tokens", 3}}}}),
         {"message", "[DONE]", ""}});
    ASSERT_TRUE(decoded.reply) << decoded.reply.error().error.message;
    EXPECT_EQ(decoded.streamed, "Hi");
    const auto uses = decoded.reply->message.tool_uses();
    ASSERT_EQ(uses.size(), 2U);
    EXPECT_EQ(uses[0]->tool_name, "a");
    EXPECT_EQ(uses[0]->input, json({{"x", 1}}));
    EXPECT_EQ(uses[1]->tool_id, "c2");
    EXPECT_EQ(decoded.reply->stop_reason, "tool_calls");
    EXPECT_EQ(decoded.reply->usage.input_tokens, 7);
    EXPECT_EQ(decoded.reply->usage.output_tokens, 3);
}

TEST(OpenAiFormat, TellsCallsApartByIdWhenAServerReusesIndexZero) {
    auto format = make_openai_format();
    const auto decoded = decode(
        *format,
        {event("message", chunk({{"tool_calls", json::array({{{"index", 0},
                                                              {"id", "c1"},
                                                              {"function", {{"name", "a"}, {"arguments", "{}"}}}}})}})),
         event("message",
               chunk({{"tool_calls",
                       json::array(
                           {{{"index", 0}, {"id", "c2"}, {"function", {{"name", "b"}, {"arguments", "{\"y\""}}}}})}})),
         event("message",
               chunk({{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", ": 2}"}}}}})}})),
         {"message", "[DONE]", ""}});
    ASSERT_TRUE(decoded.reply);
    const auto uses = decoded.reply->message.tool_uses();
    ASSERT_EQ(uses.size(), 2U);
    EXPECT_EQ(uses[0]->input, json::object());
    EXPECT_EQ(uses[1]->tool_name, "b");
    EXPECT_EQ(uses[1]->input, json({{"y", 2}}));
}

TEST(OpenAiFormat, MalformedArgumentsAndMidStreamErrors) {
    auto format = make_openai_format();
    const auto malformed = decode(
        *format,
        {event("message",
               chunk({{"tool_calls",
                       json::array(
                           {{{"index", 0}, {"id", "c1"}, {"function", {{"name", "a"}, {"arguments", "{oops"}}}}})}})),
         {"message", "[DONE]", ""}});
    ASSERT_TRUE(malformed.reply);
    EXPECT_EQ(malformed.reply->message.tool_uses().at(0)->raw_input, "{oops");

    const auto failed =
        decode(*format, {event("message", {{"error", {{"message", "server overloaded"}, {"type", "server_error"}}}})});
    ASSERT_TRUE(failed.failure);
    EXPECT_TRUE(failed.failure->retryable);
    EXPECT_NE(failed.failure->error.message.find("server overloaded"), std::string::npos);
}

TEST(OpenAiFormat, BuildsRoleToolResultsAndSendsToolImagesAsAUserMessage) {
    auto format = make_openai_format();
    ModelSettings settings{"openai", "gpt-x", "http://127.0.0.1:9/v1", "", 256, std::nullopt};
    const auto http = format->build(settings, {"be brief", sample_transcript(), kTools});
    EXPECT_EQ(http.url, "http://127.0.0.1:9/v1/chat/completions");
    const auto body = json::parse(http.body);
    EXPECT_FALSE(body.contains("tool_choice"));
    EXPECT_FALSE(body.contains("temperature"));
    const auto& messages = body["messages"];
    ASSERT_EQ(messages.size(), 5U) << messages.dump(2);
    EXPECT_EQ(messages[0]["role"], "system");
    EXPECT_EQ(messages[2]["tool_calls"][0]["function"]["arguments"], "{\"name\":\"cube\"}");
    EXPECT_EQ(messages[3]["role"], "tool");
    EXPECT_EQ(messages[3]["tool_call_id"], "t1");
    EXPECT_EQ(messages[4]["role"], "user");
    EXPECT_EQ(messages[4]["content"][1]["image_url"]["url"], "data:image/png;base64,AAAA");
    EXPECT_EQ(body["tools"][0]["function"]["parameters"]["type"], "object");
    for (const auto& [name, value] : http.headers) {
        EXPECT_NE(name, "authorization") << "no key, no header";
    }
}

TEST(WireFormat, ProviderErrorMessageReadsBothErrorShapes) {
    EXPECT_EQ(provider_error_message(
                  R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"),
              "invalid x-api-key");
    EXPECT_EQ(provider_error_message(R"({"error":"model not found"})"), "model not found");
    EXPECT_EQ(provider_error_message("Bad Gateway"), "Bad Gateway");
}

} // namespace
} // namespace atelier::agent
