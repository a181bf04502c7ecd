// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/browser_envelope.h"

namespace atelier::protocol {
namespace {

using Json = nlohmann::json;

void expect_rejected(std::string_view frame, std::string_view fragment) {
    auto parsed = parse_browser_envelope(frame);
    ASSERT_FALSE(parsed.has_value()) << frame;
    EXPECT_EQ(parsed.error().code, ErrorCode::ProtocolError);
    EXPECT_NE(parsed.error().message.find(fragment), std::string::npos) << parsed.error().message;
}

TEST(BrowserEnvelopeProtocol, ParsesAFullEnvelope) {
    auto parsed = parse_browser_envelope(R"({"type":"message:send","id":"u1","payload":{"text":"hi"},"re":"u0"})");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->type, "message:send");
    EXPECT_EQ(parsed->id, "u1");
    EXPECT_EQ(parsed->payload, (Json{{"text", "hi"}}));
    EXPECT_EQ(parsed->re, "u0");
}

TEST(BrowserEnvelopeProtocol, ReadsAMissingPayloadAsAnEmptyObject) {
    auto parsed = parse_browser_envelope(R"({"type":"agent:cancel","id":"u2"})");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->payload, Json::object());
    EXPECT_FALSE(parsed->re.has_value());
}

TEST(BrowserEnvelopeProtocol, RejectsMalformedJson) {
    expect_rejected("{\"type\":", "not valid JSON");
}
TEST(BrowserEnvelopeProtocol, RejectsANonObject) {
    expect_rejected("[1,2]", "JSON object");
}
TEST(BrowserEnvelopeProtocol, RejectsAMissingType) {
    expect_rejected(R"({"id":"u"})", "'type' is missing");
}
TEST(BrowserEnvelopeProtocol, RejectsANumericType) {
    expect_rejected(R"({"type":3,"id":"u"})", "'type' must be a string");
}
TEST(BrowserEnvelopeProtocol, RejectsAnEmptyType) {
    expect_rejected(R"({"type":"","id":"u"})", "'type' must not be empty");
}
TEST(BrowserEnvelopeProtocol, RejectsAMissingId) {
    expect_rejected(R"({"type":"session:end"})", "'id' is missing");
}
TEST(BrowserEnvelopeProtocol, RejectsANumericId) {
    expect_rejected(R"({"type":"session:end","id":5})", "'id' must be a string");
}
TEST(BrowserEnvelopeProtocol, RejectsAnArrayPayload) {
    expect_rejected(R"({"type":"session:end","id":"u","payload":[]})", "'payload' must be an object");
}
TEST(BrowserEnvelopeProtocol, RejectsANonStringRe) {
    expect_rejected(R"({"type":"command:result","id":"u","re":1})", "'re' must be a string");
}

TEST(BrowserEnvelopeProtocol, RoundTripsThroughSerialization) {
    BrowserEnvelope envelope{"command:result", "h7", Json{{"ok", true}}, std::string("u3")};
    auto parsed = parse_browser_envelope(serialize_browser_envelope(envelope));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->type, envelope.type);
    EXPECT_EQ(parsed->id, envelope.id);
    EXPECT_EQ(parsed->payload, envelope.payload);
    EXPECT_EQ(parsed->re, envelope.re);
}

TEST(BrowserEnvelopeProtocol, OmitsReWhenUnset) {
    BrowserEnvelope envelope{"scene:updated", "h8", Json::object(), std::nullopt};
    EXPECT_FALSE(Json::parse(serialize_browser_envelope(envelope)).contains("re"));
}

} // namespace
} // namespace atelier::protocol
