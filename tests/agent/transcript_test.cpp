// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "agent/transcript.h"

namespace atelier::agent {
namespace {

using nlohmann::json;

Transcript exchange(const std::string& prompt, const std::string& result_text, bool with_image) {
    std::vector<Block> result{Block::text_block(result_text)};
    if (with_image) {
        result.push_back(Block::image_block("image/png", std::string(4000, 'A')));
    }
    return {{Role::User, {Block::text_block(prompt)}},
            {Role::Assistant, {Block::tool_use("t-" + prompt, "basics__echo", {{"text", prompt}})}},
            {Role::User, {Block::tool_result("t-" + prompt, "basics__echo", result, false)}},
            {Role::Assistant, {Block::text_block("done with " + prompt)}}};
}

Transcript three_exchanges() {
    Transcript transcript;
    for (const auto& prompt : {"one", "two", "three"}) {
        auto part = exchange(prompt, std::string("first line\n") + std::string(3000, 'x'), true);
        transcript.insert(transcript.end(), part.begin(), part.end());
    }
    return transcript;
}

std::size_t size_of(const Transcript& transcript) {
    std::size_t size = 0;
    for (const auto& message : transcript) {
        size += approximate_chars(message);
    }
    return size;
}

TEST(Transcript, RoundTripsThroughJson) {
    auto transcript = exchange("hi", "ok", true);
    transcript[1].content[0].raw_input = "{broken";
    transcript[2].content[0].is_error = true;
    transcript.push_back({Role::Assistant, {Block::text_block("done")}, Usage{9000, 8704, 100, 40}});
    const auto serialised = to_json(transcript);
    const auto back = transcript_from_json(serialised);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(to_json(*back), serialised);
    ASSERT_TRUE(back->back().usage);
    EXPECT_EQ(back->back().usage->cached_input_tokens, 8704);
}

TEST(Transcript, RejectsMalformedJsonNamingThePlace) {
    const auto bad = transcript_from_json(json::parse(R"([{"role":"user","content":[{"type":"video"}]}])"));
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("/0/content/0"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(transcript_from_json(json::object()));
}

TEST(Transcript, TrimLeavesASmallTranscriptAlone) {
    const auto transcript = three_exchanges();
    EXPECT_EQ(to_json(trim_transcript(transcript, 1'000'000)), to_json(transcript));
}

TEST(Transcript, TrimDropsOldImagesFirstAndKeepsTheLastExchangeWhole) {
    const auto transcript = three_exchanges();
    const auto trimmed = trim_transcript(transcript, size_of(transcript) - 7000);
    ASSERT_EQ(trimmed.size(), transcript.size());
    // The first two exchanges lost their images; the last one kept its image.
    EXPECT_EQ(trimmed[2].content[0].content[1].kind, Block::Kind::Text);
    EXPECT_EQ(trimmed[6].content[0].content[1].kind, Block::Kind::Text);
    EXPECT_EQ(trimmed[10].content[0].content[1].kind, Block::Kind::Image);
    EXPECT_LE(size_of(trimmed), size_of(transcript) - 7000);
}

TEST(Transcript, TrimSummarisesOldToolResultsBeforeDroppingExchanges) {
    const auto transcript = three_exchanges();
    const auto trimmed = trim_transcript(transcript, 9000);
    ASSERT_EQ(trimmed.size(), transcript.size());
    const auto& summarised = trimmed[2].content[0].content;
    ASSERT_EQ(summarised.size(), 1U);
    EXPECT_EQ(summarised[0].text.rfind("first line [summarised:", 0), 0U) << summarised[0].text;
    EXPECT_EQ(trimmed[10].content[0].content[0].text.size(), std::string("first line\n").size() + 3000);
}

TEST(Transcript, TrimDropsWholeExchangesFromTheFrontLast) {
    const auto transcript = three_exchanges();
    const auto trimmed = trim_transcript(transcript, 6000);
    ASSERT_LT(trimmed.size(), transcript.size());
    ASSERT_FALSE(trimmed.empty());
    EXPECT_EQ(trimmed.front().role, Role::User);
    EXPECT_EQ(trimmed.front().content[0].kind, Block::Kind::Text);
    EXPECT_EQ(trimmed.back().text(), "done with three");
}

} // namespace
} // namespace atelier::agent
