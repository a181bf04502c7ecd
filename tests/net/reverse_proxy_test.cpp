// SPDX-License-Identifier: Apache-2.0
// Router::proxy over real loopback sockets: a hub-like server forwards /preview/<id>/... to an
// upstream server (another net::Server with its own routes), HTTP and WebSocket alike.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "local_server.h"
#include "net/server.h"

namespace atelier::net {
namespace {

using namespace std::chrono_literals;
using testing::http_request;
using testing::LocalServer;
using testing::WsClient;

// Echoes every text message back, prefixed, so a test sees it went through the upstream.
class Echo final : public WebSocketHandler {
public:
    void on_text(const std::shared_ptr<WebSocketConnection>& connection, std::string message) override {
        connection->send_text("upstream: " + message);
    }
};

// The upstream answers every request with what it received, as JSON.
Router upstream_routes() {
    Router router;
    auto describe = [](HttpRequest& request) {
        nlohmann::json headers = nlohmann::json::object();
        for (const auto& [name, value] : request.headers.fields()) {
            headers[name] = value;
        }
        return HttpResponse::json(200, nlohmann::json{{"method", request.method},
                                                      {"target", request.target},
                                                      {"body", request.body},
                                                      {"headers", headers}}
                                           .dump());
    };
    router.add("GET", "/preview/s1/{rest*}", Access::Public, describe)
        .add("POST", "/preview/s1/{rest*}", Access::Public, describe)
        .websocket("/preview/s1/", Access::Public, std::make_shared<Echo>());
    return router;
}

class ReverseProxyTest : public ::testing::Test {
protected:
    void SetUp() override {
        upstream = std::make_unique<LocalServer>(upstream_routes(), testing::nobody);
        const std::uint16_t upstream_port = upstream->port();
        Router router;
        router.add("GET", "/api/ping", Access::Public, [](HttpRequest&) { return HttpResponse::text(200, "pong"); })
            .proxy("/preview/", Access::Authenticated, [this, upstream_port](const HttpRequest& request) {
                ++resolved;
                if (request.path.starts_with("/preview/s1/")) {
                    return Result<Upstream>(Upstream{"127.0.0.1", upstream_port, "the preview server"});
                }
                if (request.path.starts_with("/preview/dead/")) {
                    return Result<Upstream>(Upstream{"127.0.0.1", dead_port, "the preview server"});
                }
                return Result<Upstream>(fail(ErrorCode::NotFound, "no live session"));
            });
        hub = std::make_unique<LocalServer>(std::move(router), [](const HttpRequest& request) {
            return request.header("Authorization") == "Bearer secret" || request.cookie("atelier_token") == "secret"
                       ? std::optional<std::string>("user-1")
                       : std::nullopt;
        });
    }

    std::map<std::string, std::string> auth() const { return {{"Authorization", "Bearer secret"}}; }

    std::unique_ptr<LocalServer> upstream;
    std::unique_ptr<LocalServer> hub;
    std::atomic<int> resolved{0};
    std::uint16_t dead_port = 1; // nothing listens on port 1 here
};

TEST_F(ReverseProxyTest, ForwardsRequestsWithoutTheHubsCredentials) {
    auto get = http_request(hub->port(), "GET", "/preview/s1/src/main.tsx?t=42",
                            {{"Authorization", "Bearer secret"}, {"Cookie", "atelier_token=secret; theme=dark"}});
    ASSERT_EQ(get.status, 200) << get.body << get.error;
    const auto seen = nlohmann::json::parse(get.body);
    EXPECT_EQ(seen["target"], "/preview/s1/src/main.tsx?t=42"); // the prefix is kept, the query too
    EXPECT_EQ(seen["headers"]["Host"], "127.0.0.1:" + std::to_string(upstream->port()));
    EXPECT_FALSE(seen["headers"].contains("Authorization"));
    EXPECT_FALSE(seen["headers"].contains("Cookie"));

    auto post = http_request(hub->port(), "POST", "/preview/s1/api", auth(), R"({"a":1})");
    ASSERT_EQ(post.status, 200) << post.body;
    EXPECT_EQ(nlohmann::json::parse(post.body)["body"], R"({"a":1})");

    // The hub's own routes still answer on the same port.
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/ping").body, "pong");
}

TEST_F(ReverseProxyTest, RefusesWithoutTokenCrossOriginAndUnknownTargets) {
    auto anonymous = http_request(hub->port(), "GET", "/preview/s1/index.html");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(resolved.load(), 0); // refused before anything is looked up

    auto headers = auth();
    headers["Origin"] = "http://evil.example";
    EXPECT_EQ(http_request(hub->port(), "GET", "/preview/s1/index.html", headers).status, 403);

    auto unknown = http_request(hub->port(), "GET", "/preview/nobody/index.html", auth());
    EXPECT_EQ(unknown.status, 404);
    EXPECT_NE(unknown.body.find("no live session"), std::string::npos) << unknown.body;
}

TEST_F(ReverseProxyTest, AnUpstreamThatDoesNotAnswerIs503WithTheReason) {
    auto dead = http_request(hub->port(), "GET", "/preview/dead/index.html", auth());
    EXPECT_EQ(dead.status, 503);
    EXPECT_NE(dead.body.find("did not answer"), std::string::npos) << dead.body;

    auto upgrade = WsClient::connect(hub->port(), "/preview/dead/", auth());
    EXPECT_EQ(upgrade.client, nullptr);
    EXPECT_EQ(upgrade.status, 503) << upgrade.error;
}

TEST_F(ReverseProxyTest, WebSocketsAreTunnelledBothWays) {
    auto connected = WsClient::connect(hub->port(), "/preview/s1/?token=vite", auth());
    ASSERT_NE(connected.client, nullptr) << connected.status << " " << connected.error;
    auto& ws = *connected.client;
    for (const std::string& text : {std::string("hello"), std::string(100'000, 'x')}) {
        ASSERT_TRUE(ws.send_text(text));
        auto reply = ws.read(10s);
        ASSERT_TRUE(reply.has_value());
        EXPECT_EQ(reply->data, "upstream: " + text);
    }
    // The upstream going away closes the browser's side too.
    upstream->stop();
    EXPECT_FALSE(ws.read(10s).has_value());
}

TEST_F(ReverseProxyTest, WebSocketUpgradesNeedTheTokenToo) {
    auto anonymous = WsClient::connect(hub->port(), "/preview/s1/");
    EXPECT_EQ(anonymous.client, nullptr);
    EXPECT_EQ(anonymous.status, 401);
}

} // namespace
} // namespace atelier::net
