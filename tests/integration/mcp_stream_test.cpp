// SPDX-License-Identifier: Apache-2.0
// Server-to-client messages at /mcp: the session's GET stream (notifications/tools/list_changed,
// resumable with Last-Event-ID, ended by DELETE) and tools/call answered as an SSE stream that
// carries the engine's progress before the result.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_fixture.h"

namespace atelier::testing {
namespace {

constexpr const char* kListChanged = "notifications/tools/list_changed";

TEST_F(McpTest, TheGetStreamSaysWhenTheToolsChange) {
    start_test_hub();
    const std::string session = initialize();
    auto stream = listen(session);
    EXPECT_EQ(stream->header("content-type"), "text/event-stream");
    const std::string project = create_project(auth());

    ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));
    const auto opened = stream->next(kListChanged);
    ASSERT_FALSE(opened.is_null()) << hub->log();
    EXPECT_EQ(opened["jsonrpc"], "2.0");
    EXPECT_FALSE(opened.contains("id")) << "a notification";
    EXPECT_TRUE(has_tool(request(session, "tools/list"), "scene__create_object"));

    ASSERT_FALSE(call(session, "close_project")["result"].value("isError", false));
    EXPECT_FALSE(stream->next(kListChanged).is_null()) << "closing removes the engine tools";

    // DELETE ends the session and with it the stream.
    EXPECT_EQ(http_request(hub->port(), "DELETE", "/mcp", headers(session)).status, 204);
    EXPECT_TRUE(stream->wait_end());
}

TEST_F(McpTest, AReconnectingStreamGetsWhatItMissedAfterLastEventId) {
    start_test_hub();
    const std::string session = initialize();
    const std::string project = create_project(auth());
    std::string seen;
    {
        auto stream = listen(session);
        ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));
        ASSERT_FALSE(stream->next(kListChanged).is_null());
        seen = stream->last_id();
        ASSERT_FALSE(seen.empty()) << "stream events carry ids";
    }
    // While no stream is open, the tools change again.
    ASSERT_FALSE(call(session, "close_project")["result"].value("isError", false));

    auto resumed = listen(session, seen);
    const auto missed = resumed->next(kListChanged);
    ASSERT_FALSE(missed.is_null()) << "the notification sent while disconnected is replayed";
    EXPECT_GT(std::stoull(resumed->last_id()), std::stoull(seen));
}

TEST_F(McpTest, ACallWithAProgressTokenStreamsTheEnginesProgressThenTheResult) {
    start_test_hub();
    const std::string session = initialize();
    const std::string project = create_project(auth());
    ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));

    const json message{{"jsonrpc", "2.0"},
                       {"id", 41},
                       {"method", "tools/call"},
                       {"params",
                        {{"name", "basics__sleep"},
                         {"arguments", {{"ms", 1}, {"steps", 3}}},
                         {"_meta", {{"progressToken", "render-1"}}}}}};
    const auto response = post(headers(session), message);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.headers.at("content-type"), "text/event-stream");
    const auto messages = sse_messages(response.body);
    ASSERT_EQ(messages.size(), 4U) << response.body;
    for (int step = 0; step < 3; ++step) {
        const auto& progress = messages[static_cast<std::size_t>(step)];
        EXPECT_EQ(progress["method"], "notifications/progress") << progress.dump();
        EXPECT_EQ(progress["params"]["progressToken"], "render-1");
        EXPECT_EQ(progress["params"]["progress"], step + 1);
        EXPECT_EQ(progress["params"]["total"], 3);
    }
    EXPECT_EQ(messages[3]["id"], 41);
    ASSERT_TRUE(messages[3].contains("result")) << messages[3].dump();
    EXPECT_FALSE(messages[3]["result"].value("isError", false)) << messages[3].dump();
    EXPECT_EQ(messages[3]["result"]["structuredContent"]["slept_ms"], 1);

    // The same call without a progress token, or from a client that takes only JSON, is one JSON answer.
    auto json_only = headers(session);
    json_only["Accept"] = "application/json";
    const auto plain = post(json_only, message);
    EXPECT_EQ(plain.headers.at("content-type"), "application/json");
    EXPECT_EQ(json::parse(plain.body)["id"], 41);
}

TEST_F(McpTest, NotificationsCancelledStopsTheEngineCall) {
    start_test_hub();
    const std::string session = initialize();
    const std::string project = create_project(auth());
    ASSERT_FALSE(call(session, "open_project", {{"project_id", project}})["result"].value("isError", false));

    const json message{{"jsonrpc", "2.0"},
                       {"id", "long-render"},
                       {"method", "tools/call"},
                       {"params",
                        {{"name", "basics__sleep"},
                         {"arguments", {{"ms", 600'000}, {"steps", 1}}},
                         {"_meta", {{"progressToken", "p"}}}}}};
    SseReader stream(hub->port(), "POST", headers(session), message.dump());
    ASSERT_EQ(stream.status(), 200);
    ASSERT_FALSE(stream.next("notifications/progress").is_null()) << "the engine is running the call";

    const auto cancelled = post(headers(session), {{"jsonrpc", "2.0"},
                                                   {"method", "notifications/cancelled"},
                                                   {"params", {{"requestId", "long-render"}, {"reason", "user"}}}});
    EXPECT_EQ(cancelled.status, 202);
    // Without the cancel this would be "slept" ten minutes from now.
    const auto answer = stream.next();
    ASSERT_EQ(answer["id"], "long-render") << answer.dump();
    EXPECT_TRUE(answer["result"].value("isError", false)) << answer.dump();
    EXPECT_NE(answer.dump().find("cancelled"), std::string::npos) << answer.dump();
}

TEST_F(McpTest, ASessionWithAnOpenStreamIsNotIdle) {
    start_test_hub({"--mcp-idle-timeout", "0.3"});
    const std::string session = initialize();
    auto stream = listen(session);
    // Several sweeps pass (every 75 ms here) while the client only listens.
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    const json ping{{"jsonrpc", "2.0"}, {"id", 5}, {"method", "ping"}};
    EXPECT_EQ(post(headers(session), ping).status, 200) << "the listening session was ended as idle";
    stream->close();
}

} // namespace
} // namespace atelier::testing
