// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

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
    EXPECT_EQ(body["system"][0]["text"], "be brief");
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

TEST(AnthropicFormat, ReadsCachedAndWrittenInputTokens) {
    auto format = make_anthropic_format();
    const auto decoded = decode(*format, {event("message_start", {{"type", "message_start"},
                                                                  {"message",
                                                                   {{"usage",
                                                                     {{"input_tokens", 50},
                                                                      {"cache_creation_input_tokens", 200},
                                                                      {"cache_read_input_tokens", 7000},
                                                                      {"output_tokens", 1}}}}}}),
                                          event("message_delta", {{"type", "message_delta"},
                                                                  {"delta", {{"stop_reason", "end_turn"}}},
                                                                  {"usage", {{"output_tokens", 9}}}}),
                                          event("message_stop", {{"type", "message_stop"}})});
    ASSERT_TRUE(decoded.reply) << decoded.reply.error().error.message;
    EXPECT_EQ(decoded.reply->usage.input_tokens, 7250); // the whole prompt
    EXPECT_EQ(decoded.reply->usage.cached_input_tokens, 7000);
    EXPECT_EQ(decoded.reply->usage.cache_write_input_tokens, 200);
    EXPECT_EQ(decoded.reply->usage.output_tokens, 9);
}

TEST(OpenAiFormat, ReadsCachedPromptTokens) {
    auto format = make_openai_format();
    const auto decoded = decode(*format, {event("", chunk({{"content", "ok"}}, "stop")),
                                          event("", {{"choices", json::array()},
                                                     {"usage",
                                                      {{"prompt_tokens", 9000},
                                                       {"completion_tokens", 12},
                                                       {"prompt_tokens_details", {{"cached_tokens", 8704}}}}}}),
                                          {"", "[DONE]", ""}});
    ASSERT_TRUE(decoded.reply) << decoded.reply.error().error.message;
    EXPECT_EQ(decoded.reply->usage.input_tokens, 9000);
    EXPECT_EQ(decoded.reply->usage.cached_input_tokens, 8704);
    EXPECT_EQ(decoded.reply->usage.output_tokens, 12);
}

// Two consecutive steps of one turn: the first asked for a tool, the second carries its result.
struct TwoSteps {
    ModelRequest first;
    ModelRequest second;
};

TwoSteps two_steps() {
    std::vector<ToolDefinition> tools;
    for (int i = 0; i < 30; ++i) {
        tools.push_back({"addon__tool_" + std::to_string(i),
                         "A tool that does thing " + std::to_string(i),
                         {{"type", "object"}, {"properties", {{"size", {{"type", "number"}, {"minimum", 0}}}}}}});
    }
    Transcript history{{Role::User, {Block::text_block("an earlier request")}},
                       {Role::Assistant, {Block::text_block("Done earlier.")}},
                       {Role::User, {Block::text_block("make a red cube")}}};
    TwoSteps steps;
    steps.first = {"the static system prompt", history, tools, "# The scene now\nobjects (0):"};
    history.push_back(
        {Role::Assistant, {Block::text_block("Adding it."), Block::tool_use("t1", "addon__tool_1", {{"size", 2}})}});
    history.push_back(
        {Role::User, {Block::tool_result("t1", "addon__tool_1", {Block::text_block("created Cube")}, false)}});
    steps.second = {"the static system prompt", history, tools, "# The scene now\nobjects (1):\n- Cube"};
    return steps;
}

std::size_t shared_prefix(const std::string& a, const std::string& b) {
    return static_cast<std::size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
}

TEST(OpenAiFormat, ConsecutiveStepsShareAByteIdenticalPrefixUpToTheContext) {
    auto format = make_openai_format();
    ModelSettings settings{"openai", "gpt-x", "http://127.0.0.1:9/v1", "", 256, std::nullopt};
    const auto steps = two_steps();
    const auto first = format->build(settings, steps.first).body;
    const auto second = format->build(settings, steps.second).body;
    // Everything the first step sent before its context (model settings, every tool, the system
    // prompt, the whole conversation up to the user's words) starts the second step's request.
    const auto context = first.find("# The scene now");
    ASSERT_NE(context, std::string::npos);
    const auto shared = shared_prefix(first, second);
    EXPECT_GE(shared, first.rfind("make a red cube", context)) << first.substr(0, shared);
    EXPECT_GT(shared, first.find("the static system prompt"));
    EXPECT_GT(shared, first.find("addon__tool_29"));
    // The body is written in the order the prompt is read: tools, then system, then the rest.
    EXPECT_LT(first.find("\"tools\""), first.find("\"messages\""));
    EXPECT_LT(first.find("addon__tool_29"), first.find("the static system prompt"));
    // The context is the last thing sent, after the tool result.
    const auto body = json::parse(second);
    const auto& last = body["messages"].back();
    EXPECT_EQ(last["role"], "user");
    EXPECT_NE(last["content"].get<std::string>().find("- Cube"), std::string::npos);
    EXPECT_EQ(body["messages"][body["messages"].size() - 2]["role"], "tool");
}

int count_breakpoints(const json& value) {
    int count = 0;
    if (value.is_object()) {
        count += value.contains("cache_control") ? 1 : 0;
        for (const auto& [key, inner] : value.items()) {
            count += count_breakpoints(inner);
        }
    } else if (value.is_array()) {
        for (const auto& inner : value) {
            count += count_breakpoints(inner);
        }
    }
    return count;
}

TEST(AnthropicFormat, MarksTheLastToolTheSystemPromptAndTheBlockBeforeTheContext) {
    auto format = make_anthropic_format();
    ModelSettings settings{"anthropic", "claude-x", "", "key", 512, std::nullopt};
    const auto steps = two_steps();
    const auto first = format->build(settings, steps.first).body;
    const auto second = format->build(settings, steps.second).body;
    const auto body = json::parse(second);
    const json ephemeral{{"type", "ephemeral"}};
    EXPECT_EQ(body["tools"].back()["cache_control"], ephemeral);
    EXPECT_FALSE(body["tools"][0].contains("cache_control"));
    EXPECT_EQ(body["system"][0]["cache_control"], ephemeral);
    const auto& last = body["messages"].back()["content"];
    ASSERT_EQ(last.size(), 2U) << last.dump();
    EXPECT_EQ(last[0]["type"], "tool_result");
    EXPECT_EQ(last[0]["cache_control"], ephemeral);
    EXPECT_EQ(last[1]["text"], "# The scene now\nobjects (1):\n- Cube");
    EXPECT_FALSE(last[1].contains("cache_control"));
    EXPECT_EQ(count_breakpoints(body), 3); // the API allows at most 4
    // Tools and system come first, byte-identical from one step to the next.
    const auto shared = shared_prefix(first, second);
    EXPECT_GT(shared, first.find("the static system prompt"));
    EXPECT_LT(first.find("\"tools\""), first.find("\"system\""));
    EXPECT_LT(first.find("\"system\""), first.find("\"messages\""));
}

TEST(OpenAiFormat, TheContextJoinsToolImagesInOneUserMessage) {
    auto format = make_openai_format();
    ModelSettings settings{"openai", "gpt-x", "", "", 256, std::nullopt};
    const auto body =
        json::parse(format->build(settings, {"be brief", sample_transcript(), kTools, "# The scene now\nx"}).body);
    const auto& messages = body["messages"];
    ASSERT_EQ(messages.size(), 5U) << messages.dump(1);
    const auto& last = messages[4];
    EXPECT_EQ(last["role"], "user");
    ASSERT_TRUE(last["content"][0].is_object()) << last.dump(1);
    EXPECT_EQ(last["content"][0]["text"], "# The scene now\nx");
    EXPECT_EQ(last["content"].back()["type"], "image_url");
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
