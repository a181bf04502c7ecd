// SPDX-License-Identifier: Apache-2.0
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

class HttpTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { hub = HubProcess::start().release(); }
    static void TearDownTestSuite() {
        delete hub;
        hub = nullptr;
    }
    static HubProcess* hub;
};
HubProcess* HttpTest::hub = nullptr;

TEST_F(HttpTest, HealthAnswersWithoutTokenWithVersionUptimeAndSubsystems) {
    const auto response = http_request(hub->port(), "GET", "/api/health");
    ASSERT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.headers.at("content-type"), "application/json");
    const auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body["status"], "ok");
    EXPECT_FALSE(body["version"].get<std::string>().empty());
    EXPECT_GE(body["uptime_s"].get<double>(), 0.0);
    EXPECT_EQ(body["subsystems"]["http"], "ok");
}

TEST_F(HttpTest, RefusesMetricsWithoutTokenWithAJsonError) {
    const auto response = http_request(hub->port(), "GET", "/metrics");
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.headers.at("www-authenticate"), "Bearer realm=\"atelier\"");
    const auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body["error"]["code"], "unauthorized");
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
}

TEST_F(HttpTest, RefusesAWrongBearerToken) {
    const auto response =
        http_request(hub->port(), "GET", "/metrics", {{"Authorization", "Bearer " + std::string(64, 'a')}});
    EXPECT_EQ(response.status, 401);
}

TEST_F(HttpTest, ServesPrometheusMetricsWithTheToken) {
    (void)http_request(hub->port(), "GET", "/api/health");
    const auto response = http_request(hub->port(), "GET", "/metrics", {{"Authorization", hub->bearer()}});
    ASSERT_EQ(response.status, 200);
    EXPECT_NE(response.headers.at("content-type").find("text/plain"), std::string::npos);
    EXPECT_NE(response.body.find("atelier_http_requests_total{route=\"/api/health\",method=\"GET\",status=\"200\"}"),
              std::string::npos)
        << response.body;
    EXPECT_NE(response.body.find("atelier_http_request_duration_seconds_bucket"), std::string::npos);
    EXPECT_NE(response.body.find("atelier_http_connections"), std::string::npos);
}

TEST_F(HttpTest, TokenLinkSetsAStrictHttpOnlyCookieThatAuthenticates) {
    const auto login = http_request(hub->port(), "GET", "/?token=" + hub->token());
    ASSERT_EQ(login.status, 302);
    EXPECT_EQ(login.headers.at("location"), "/");
    const std::string cookie = login.headers.at("set-cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    const std::string pair = cookie.substr(0, cookie.find(';'));
    const auto metrics = http_request(hub->port(), "GET", "/metrics", {{"Cookie", pair}});
    EXPECT_EQ(metrics.status, 200);
}

TEST_F(HttpTest, TokenLinkWithAWrongTokenSetsNoCookie) {
    const auto login = http_request(hub->port(), "GET", "/?token=nope");
    EXPECT_EQ(login.status, 401);
    EXPECT_FALSE(login.headers.contains("set-cookie"));
}

TEST_F(HttpTest, ABrowserWithAWrongTokenLinkIsSentToTheSignInPageSayingSo) {
    const auto login = http_request(hub->port(), "GET", "/?token=nope", {{"Accept", "text/html,*/*"}});
    EXPECT_EQ(login.status, 302);
    EXPECT_EQ(login.headers.at("location"), "/?signin=invalid_token");
    EXPECT_FALSE(login.headers.contains("set-cookie"));
}

TEST_F(HttpTest, ServesTheWebAppWithoutToken) {
    const auto page = http_request(hub->port(), "GET", "/");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.headers.at("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("atelier"), std::string::npos);
    const auto again = http_request(hub->port(), "GET", "/", {{"If-None-Match", page.headers.at("etag")}});
    EXPECT_EQ(again.status, 304);
    const auto route = http_request(hub->port(), "GET", "/projects/abc");
    EXPECT_EQ(route.status, 200);
    EXPECT_EQ(route.body, page.body);
}

TEST_F(HttpTest, UnknownApiPathIsAJson404) {
    const auto response = http_request(hub->port(), "GET", "/api/nothing-here");
    ASSERT_EQ(response.status, 404);
    EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "not_found");
}

TEST_F(HttpTest, WrongMethodIs405WithAllow) {
    const auto response = http_request(hub->port(), "POST", "/api/health");
    ASSERT_EQ(response.status, 405);
    EXPECT_EQ(response.headers.at("allow"), "GET");
}

TEST_F(HttpTest, PathTraversalInTheRawTargetIsRefused) {
    const auto response = http_request(hub->port(), "GET", "/../../../../etc/passwd");
    EXPECT_EQ(response.status, 404);
    const auto encoded = http_request(hub->port(), "GET", "/%2e%2e/%2e%2e/etc/passwd");
    EXPECT_EQ(encoded.status, 404);
    EXPECT_EQ(encoded.body.find("root:"), std::string::npos);
}

TEST_F(HttpTest, OversizedBodyIs413AndTheHubKeepsServing) {
    const auto response = http_request(hub->port(), "POST", "/api/anything", {{"Content-Type", "application/json"}},
                                       std::string(2 << 20, 'x'));
    ASSERT_EQ(response.status, 413) << response.error;
    EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "payload_too_large");
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/health").status, 200);
}

TEST_F(HttpTest, OversizedHeadIs431) {
    const auto response = http_request(hub->port(), "GET", "/api/health", {{"X-Big", std::string(32 << 10, 'h')}});
    EXPECT_EQ(response.status, 431) << response.error;
}

TEST_F(HttpTest, MalformedRequestIs400) {
    const auto answer = raw_exchange(hub->port(), "THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0U) << answer;
    EXPECT_NE(answer.find("protocol_error"), std::string::npos);
}

TEST(HttpLimits, BodyLimitIsConfigurable) {
    auto hub = HubProcess::start({.args = {"--max-body-bytes", "1000"}});
    EXPECT_EQ(http_request(hub->port(), "POST", "/api/x", {}, std::string(2000, 'x')).status, 413);
    EXPECT_EQ(http_request(hub->port(), "POST", "/api/x", {}, std::string(500, 'x')).status, 404);
}

TEST(HttpStatic, RefusesSymlinksOutOfTheWebRoot) {
    TempDir web;
    std::ofstream(web.path() / "index.html") << "<html>app</html>";
    std::filesystem::create_directory_symlink("/etc", web.path() / "etc");
    auto hub = HubProcess::start({.args = {"--web-root", web.path().string()}});
    const auto response = http_request(hub->port(), "GET", "/etc/passwd");
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.body.find("root:"), std::string::npos);
}

TEST(HttpAuth, TokenFromEnvironmentOverridesTheFile) {
    auto hub = HubProcess::start({.env = {{"ATELIER_TOKEN", "my-own-token"}}});
    EXPECT_EQ(hub->token(), "my-own-token");
    EXPECT_EQ(http_request(hub->port(), "GET", "/metrics", {{"Authorization", "Bearer my-own-token"}}).status, 200);
}

} // namespace
} // namespace atelier::testing
