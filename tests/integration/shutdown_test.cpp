// SPDX-License-Identifier: Apache-2.0
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

TEST(Shutdown, SigtermClosesWebSocketsWith1001AndExitsZero) {
    auto hub = HubProcess::start({.bench_endpoints = true});
    auto connection = WsClient::connect(hub->port(), "/ws/echo", {{"Authorization", hub->bearer()}});
    ASSERT_NE(connection.client, nullptr);
    ASSERT_TRUE(connection.client->send_text("ping"));
    ASSERT_TRUE(connection.client->read());

    ::kill(hub->pid(), SIGTERM);
    EXPECT_FALSE(connection.client->read());
    EXPECT_EQ(connection.client->close_code(), 1001);
    EXPECT_EQ(connection.client->close_reason(), "server shutting down");
    const auto exit_code = hub->stop(SIGTERM, std::chrono::seconds(20));
    ASSERT_TRUE(exit_code) << "the hub did not exit; log:\n" << hub->log();
    EXPECT_EQ(*exit_code, 0);
    EXPECT_NE(hub->log().find("received SIGTERM"), std::string::npos);
}

TEST(Shutdown, SigintExitsZeroAndStopsAccepting) {
    auto hub = HubProcess::start();
    const auto port = hub->port();
    const auto exit_code = hub->stop(SIGINT, std::chrono::seconds(20));
    ASSERT_TRUE(exit_code);
    EXPECT_EQ(*exit_code, 0);
    EXPECT_NE(http_request(port, "GET", "/api/health").error, "");
}

// A client that holds its connection without finishing a request cannot keep the hub alive past
// the drain time.
TEST(Shutdown, DrainTimeBoundsAStuckClient) {
    auto hub = HubProcess::start({.args = {"--shutdown-drain", "0.5"}, .bench_endpoints = true});
    auto stuck = WsClient::connect(hub->port(), "/ws/broadcast", {{"Authorization", hub->bearer()}});
    auto sender = WsClient::connect(hub->port(), "/ws/broadcast", {{"Authorization", hub->bearer()}});
    ASSERT_NE(stuck.client, nullptr);
    for (int i = 0; i < 200; ++i) { // fill the stuck reader's socket so its close frame cannot go out
        sender.client->send_text(std::string(64 << 10, 's'));
    }
    const auto exit_code = hub->stop(SIGTERM, std::chrono::seconds(20));
    ASSERT_TRUE(exit_code);
    EXPECT_EQ(*exit_code, 0);
}

TEST(TokenFile, IsCreatedWithMode0600AndReusedOnRestart) {
    auto hub = HubProcess::start();
    const auto path = hub->data_dir() / "token";
    ASSERT_TRUE(std::filesystem::exists(path));
    const auto permissions = std::filesystem::status(path).permissions();
    EXPECT_EQ(permissions & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::string stored;
    std::ifstream(path) >> stored;
    EXPECT_EQ(stored, hub->token());
}

TEST(Logging, JsonFormatWritesOneObjectPerLine) {
    auto hub = HubProcess::start({.args = {"--log-format", "json", "--log-level", "debug"}});
    (void)http_request(hub->port(), "GET", "/api/health");
    ASSERT_TRUE(hub->stop(SIGTERM, std::chrono::seconds(20)));
    std::istringstream lines(hub->log());
    std::string line;
    int parsed = 0;
    bool saw_request = false;
    while (std::getline(lines, line)) {
        if (line.empty()) {
            continue;
        }
        const auto object = nlohmann::json::parse(line, nullptr, false);
        ASSERT_FALSE(object.is_discarded()) << line;
        EXPECT_TRUE(object.contains("time") && object.contains("level") && object.contains("msg")) << line;
        saw_request = saw_request || object["msg"].get<std::string>().find("/api/health") != std::string::npos;
        ++parsed;
    }
    EXPECT_GT(parsed, 1);
    EXPECT_TRUE(saw_request) << "debug level logs one line per request";
}

} // namespace
} // namespace atelier::testing
