// SPDX-License-Identifier: Apache-2.0
#include "mcp/event_stream.h"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace atelier::mcp {
namespace {

/// An SseStream that records what it is sent; close() runs the close callback at once.
class RecordingStream final : public net::SseStream {
public:
    struct Event {
        std::string data;
        std::string id;
    };
    void send(std::string_view /*event*/, std::string_view data, std::string_view id) override {
        events.push_back({std::string(data), std::string(id)});
    }
    void close() override {
        closed = true;
        if (m_on_close) {
            std::exchange(m_on_close, nullptr)();
        }
    }
    void on_close(std::function<void()> callback) override { m_on_close = std::move(callback); }

    std::vector<Event> events;
    bool closed = false;

private:
    std::function<void()> m_on_close;
};

nlohmann::json message(int n) {
    return {{"jsonrpc", "2.0"}, {"method", "m"}, {"params", {{"n", n}}}};
}

TEST(EventStream, NumbersEventsAndReplaysThoseAfterLastEventId) {
    auto events = std::make_shared<EventStream>();
    events->publish(message(1)); // before any stream: kept
    auto first = std::make_shared<RecordingStream>();
    events->attach(first, "");
    EXPECT_TRUE(first->events.empty()) << "no Last-Event-ID: nothing replayed";
    events->publish(message(2));
    ASSERT_EQ(first->events.size(), 1U);
    EXPECT_EQ(first->events[0].id, "2");

    auto second = std::make_shared<RecordingStream>();
    events->attach(second, "1");
    EXPECT_TRUE(first->closed) << "a new stream replaces the previous one";
    ASSERT_EQ(second->events.size(), 1U);
    EXPECT_EQ(second->events[0].id, "2");
    EXPECT_EQ(nlohmann::json::parse(second->events[0].data)["params"]["n"], 2);
}

TEST(EventStream, ForgetsAClosedStreamAndClosesForGood) {
    auto events = std::make_shared<EventStream>();
    auto stream = std::make_shared<RecordingStream>();
    events->attach(stream, "");
    EXPECT_TRUE(events->open());
    stream->close(); // the client went away
    EXPECT_FALSE(events->open());

    auto again = std::make_shared<RecordingStream>();
    events->attach(again, "not-a-number");
    events->close();
    EXPECT_TRUE(again->closed);
    auto late = std::make_shared<RecordingStream>();
    events->attach(late, "");
    EXPECT_TRUE(late->closed) << "an ended session takes no new stream";
}

TEST(EventStream, KeepsOnlyTheRecentEvents) {
    auto events = std::make_shared<EventStream>();
    for (int n = 1; n <= static_cast<int>(EventStream::kRecent) + 10; ++n) {
        events->publish(message(n));
    }
    auto stream = std::make_shared<RecordingStream>();
    events->attach(stream, "0");
    ASSERT_EQ(stream->events.size(), EventStream::kRecent);
    EXPECT_EQ(stream->events.front().id, "11");
}

} // namespace
} // namespace atelier::mcp
