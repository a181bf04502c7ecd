// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "agent/sse_parser.h"

namespace atelier::agent {
namespace {

std::vector<SseEvent> feed_all(SseParser& parser, std::string_view text, std::size_t piece) {
    std::vector<SseEvent> out;
    for (std::size_t at = 0; at < text.size(); at += piece) {
        auto events = parser.feed(text.substr(at, piece));
        out.insert(out.end(), events.begin(), events.end());
    }
    return out;
}

TEST(SseParser, ReadsNamedEventsWhateverTheSplit) {
    const std::string stream = "event: message_start\ndata: {\"a\":1}\n\nevent: ping\ndata: {}\n\n";
    for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
        SseParser parser;
        const auto events = feed_all(parser, stream, piece);
        ASSERT_EQ(events.size(), 2U) << "piece " << piece;
        EXPECT_EQ(events[0], (SseEvent{"message_start", "{\"a\":1}", ""}));
        EXPECT_EQ(events[1].event, "ping");
    }
}

TEST(SseParser, AcceptsCrLfAndCrLineEndingsEvenSplitBetweenCrAndLf) {
    SseParser parser;
    auto events = parser.feed("data: one\r");
    EXPECT_TRUE(events.empty());
    events = parser.feed("\n\r\ndata: two\r\r");
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[0].data, "one");
    EXPECT_EQ(events[1].data, "two");
}

TEST(SseParser, JoinsDataLinesAndSkipsComments) {
    SseParser parser;
    const auto events = parser.feed(": keep-alive\ndata: a\ndata:b\nid: 7\nretry: 100\n\n");
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].event, "message");
    EXPECT_EQ(events[0].data, "a\nb");
    EXPECT_EQ(events[0].id, "7");
}

TEST(SseParser, IgnoresEventsWithoutData) {
    SseParser parser;
    EXPECT_TRUE(parser.feed("event: lonely\n\n\n").empty());
}

TEST(SseParser, FinishDeliversAnUnterminatedLastEvent) {
    SseParser parser;
    EXPECT_TRUE(parser.feed("data: [DONE]").empty());
    const auto events = parser.finish();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].data, "[DONE]");
}

} // namespace
} // namespace atelier::agent
