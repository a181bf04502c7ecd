// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "clients.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

std::map<std::string, std::string> auth(const HubProcess& hub) {
    return {{"Authorization", hub.bearer()}};
}

TEST(WebSocket, UnknownPathIs404) {
    auto hub = HubProcess::start({.bench_endpoints = true});
    const auto result = WsClient::connect(hub->port(), "/ws/nope", auth(*hub));
    EXPECT_EQ(result.client, nullptr);
    EXPECT_EQ(result.status, 404);
}

TEST(WebSocket, BenchEndpointsExistOnlyWithTheFlag) {
    auto hub = HubProcess::start();
    EXPECT_EQ(WsClient::connect(hub->port(), "/ws/echo", auth(*hub)).status, 404);
}

TEST(WebSocket, UpgradeWithoutTokenIs401) {
    auto hub = HubProcess::start({.bench_endpoints = true});
    const auto result = WsClient::connect(hub->port(), "/ws/echo");
    EXPECT_EQ(result.client, nullptr);
    EXPECT_EQ(result.status, 401);
}

TEST(WebSocket, CrossOriginUpgradeIs403) {
    auto hub = HubProcess::start({.bench_endpoints = true});
    auto headers = auth(*hub);
    headers["Origin"] = "http://evil.example";
    EXPECT_EQ(WsClient::connect(hub->port(), "/ws/echo", headers).status, 403);
    headers["Origin"] = "http://127.0.0.1:" + std::to_string(hub->port());
    EXPECT_NE(WsClient::connect(hub->port(), "/ws/echo", headers).client, nullptr);
}

TEST(WebSocket, CookieAuthenticatesTheUpgrade) {
    auto hub = HubProcess::start({.bench_endpoints = true});
    const auto result = WsClient::connect(hub->port(), "/ws/echo", {{"Cookie", "atelier_token=" + hub->token()}});
    EXPECT_NE(result.client, nullptr) << result.status << " " << result.error;
}

TEST(WebSocket, EchoesTextAndBinaryAndCountsMessages) {
    auto hub = HubProcess::start({.bench_endpoints = true});
    auto connection = WsClient::connect(hub->port(), "/ws/echo", auth(*hub));
    ASSERT_NE(connection.client, nullptr) << connection.error;
    auto& client = *connection.client;
    ASSERT_TRUE(client.send_text("hello"));
    auto text = client.read();
    ASSERT_TRUE(text);
    EXPECT_TRUE(text->is_text);
    EXPECT_EQ(text->data, "hello");
    ASSERT_TRUE(client.send_binary(std::string("\x00\x01\x02", 3)));
    auto binary = client.read();
    ASSERT_TRUE(binary);
    EXPECT_FALSE(binary->is_text);
    EXPECT_EQ(binary->data, std::string("\x00\x01\x02", 3));
    const auto metrics = http_request(hub->port(), "GET", "/metrics", auth(*hub));
    EXPECT_NE(metrics.body.find("atelier_ws_messages_total{path=\"/ws/echo\",direction=\"in\"} 2"), std::string::npos)
        << metrics.body;
}

TEST(WebSocket, OversizedTextMessageClosesWith1009AndOthersKeepWorking) {
    auto hub = HubProcess::start({.args = {"--max-ws-text-bytes", "1024"}, .bench_endpoints = true});
    auto victim = WsClient::connect(hub->port(), "/ws/echo", auth(*hub));
    auto bystander = WsClient::connect(hub->port(), "/ws/echo", auth(*hub));
    ASSERT_NE(victim.client, nullptr);
    ASSERT_NE(bystander.client, nullptr);
    ASSERT_TRUE(victim.client->send_text(std::string(2000, 'x')));
    EXPECT_FALSE(victim.client->read());
    EXPECT_EQ(victim.client->close_code(), 1009);
    EXPECT_NE(victim.client->close_reason().find("1024"), std::string::npos) << victim.client->close_reason();
    ASSERT_TRUE(bystander.client->send_text("still here"));
    auto reply = bystander.client->read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->data, "still here");
}

TEST(WebSocket, OversizedBinaryMessageClosesWith1009) {
    auto hub = HubProcess::start(
        {.args = {"--max-ws-text-bytes", "1024", "--max-ws-binary-bytes", "4096"}, .bench_endpoints = true});
    auto connection = WsClient::connect(hub->port(), "/ws/echo", auth(*hub));
    ASSERT_NE(connection.client, nullptr);
    ASSERT_TRUE(connection.client->send_binary(std::string(3000, 'b'))); // over the text limit, under binary
    auto echoed = connection.client->read();
    ASSERT_TRUE(echoed);
    EXPECT_EQ(echoed->data.size(), 3000U);
    connection.client->send_binary(std::string(8000, 'b'));
    EXPECT_FALSE(connection.client->read());
    EXPECT_EQ(connection.client->close_code(), 1009);
}

// A client that never reads must neither stall a fast one nor grow the hub's memory without
// bound: the fast client gets every message, the slow one is disconnected once its queue is full.
TEST(WebSocket, SlowReaderDoesNotBlockAFastOne) {
    auto hub = HubProcess::start({.args = {"--ws-send-queue-bytes", "1M"}, .bench_endpoints = true});
    auto slow = WsClient::connect(hub->port(), "/ws/broadcast", auth(*hub));
    auto fast = WsClient::connect(hub->port(), "/ws/broadcast", auth(*hub));
    auto sender = WsClient::connect(hub->port(), "/ws/broadcast", auth(*hub));
    ASSERT_NE(slow.client, nullptr);
    ASSERT_NE(fast.client, nullptr);
    ASSERT_NE(sender.client, nullptr);

    constexpr int kMessages = 2000;
    const std::string payload(16 << 10, 'p'); // 2000 x 16 KiB = 32 MiB, far past socket buffers + queue
    std::atomic<int> received{0};
    std::thread reader([&] {
        while (received < kMessages) {
            if (!fast.client->read()) {
                return;
            }
            ++received;
        }
    });
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_TRUE(sender.client->send_text(std::to_string(i) + payload));
    }
    reader.join();
    EXPECT_EQ(received.load(), kMessages);

    int slow_received = 0;
    while (slow.client->read()) {
        ++slow_received;
    }
    EXPECT_LT(slow_received, kMessages);
    if (slow.client->close_code() != 0) {
        EXPECT_EQ(slow.client->close_code(), 1008);
        EXPECT_NE(slow.client->close_reason().find("not reading"), std::string::npos);
    }
    EXPECT_NE(hub->log().find("send queue over"), std::string::npos) << hub->log();
}

// Viewport frames take the latest-wins slot: a slow viewer skips frames but stays connected and
// ends on the newest frame.
TEST(WebSocket, SlowReaderGetsTheLatestBinaryFrameAndStaysConnected) {
    auto hub = HubProcess::start({.args = {"--ws-send-queue-bytes", "64K"}, .bench_endpoints = true});
    auto slow = WsClient::connect(hub->port(), "/ws/broadcast", auth(*hub));
    auto producer = WsClient::connect(hub->port(), "/ws/broadcast", auth(*hub));
    ASSERT_NE(slow.client, nullptr);
    ASSERT_NE(producer.client, nullptr);
    constexpr int kFrames = 400;
    for (int i = 0; i < kFrames; ++i) {
        std::string frame = std::to_string(i);
        frame.resize(64 << 10, '\0');
        ASSERT_TRUE(producer.client->send_binary(frame));
    }
    int frames = 0;
    std::string last;
    while (auto message = slow.client->read(std::chrono::seconds(3))) {
        ++frames;
        last = message->data.substr(0, message->data.find('\0'));
        if (last == std::to_string(kFrames - 1)) {
            break;
        }
    }
    EXPECT_EQ(last, std::to_string(kFrames - 1));
    EXPECT_LT(frames, kFrames);
    EXPECT_FALSE(slow.client->closed());
}

} // namespace
} // namespace atelier::testing
