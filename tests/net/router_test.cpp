// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "net/router.h"

namespace atelier::net {
namespace {

HttpResponse ok(HttpRequest&) {
    return HttpResponse::text(200, "ok");
}

Router sample_router() {
    Router router;
    router.add("GET", "/api/projects", Access::Authenticated, ok)
        .add("POST", "/api/projects", Access::Authenticated, ok)
        .add("GET", "/api/projects/{id}", Access::Authenticated, ok)
        .add("GET", "/api/projects/{id}/files/{path*}", Access::Authenticated, ok)
        .fallback(Access::Public, ok);
    return router;
}

TEST(Router, MatchesExactPathsAndMethods) {
    const auto router = sample_router();
    auto match = router.match("POST", "/api/projects");
    ASSERT_TRUE(match);
    EXPECT_EQ(match->route->method, "POST");
}

TEST(Router, CapturesParameters) {
    const auto router = sample_router();
    auto match = router.match("GET", "/api/projects/p42");
    ASSERT_TRUE(match);
    EXPECT_EQ(match->params.at("id"), "p42");
}

TEST(Router, CapturesTheRestOfThePath) {
    const auto router = sample_router();
    auto match = router.match("GET", "/api/projects/p1/files/renders/frame 1.png");
    ASSERT_TRUE(match);
    EXPECT_EQ(match->params.at("path"), "renders/frame 1.png");
}

TEST(Router, AnswersMethodNotAllowedListingAllowedMethods) {
    const auto router = sample_router();
    auto match = router.match("DELETE", "/api/projects");
    ASSERT_FALSE(match);
    EXPECT_EQ(match.error().code, ErrorCode::MethodNotAllowed);
    EXPECT_NE(match.error().message.find("GET"), std::string::npos);
    EXPECT_NE(match.error().message.find("POST"), std::string::npos);
}

TEST(Router, NeverFallsBackToStaticFilesForApiPaths) {
    const auto router = sample_router();
    auto match = router.match("GET", "/api/nothing");
    ASSERT_FALSE(match);
    EXPECT_EQ(match.error().code, ErrorCode::NotFound);
    EXPECT_FALSE(router.match("GET", "/ws/nothing"));
    EXPECT_FALSE(router.match("GET", "/mcp"));
}

TEST(Router, FallsBackForOtherGetRequests) {
    const auto router = sample_router();
    auto match = router.match("GET", "/projects/123");
    ASSERT_TRUE(match);
    EXPECT_EQ(match->route->pattern, "(static)");
    EXPECT_FALSE(router.match("POST", "/projects/123"));
}

TEST(Router, DoesNotMatchEmptyParameters) {
    const auto router = sample_router();
    EXPECT_FALSE(router.match("GET", "/api/projects//files/x"));
}

TEST(Router, MatchesWebSocketPathsExactly) {
    Router router;
    struct Handler : WebSocketHandler {
        void on_text(const std::shared_ptr<WebSocketConnection>&, std::string) override {}
    };
    router.websocket("/ws/browser", Access::Authenticated, std::make_shared<Handler>());
    EXPECT_NE(router.match_websocket("/ws/browser"), nullptr);
    EXPECT_EQ(router.match_websocket("/ws/browser/x"), nullptr);
    EXPECT_EQ(router.match_websocket("/ws/engine"), nullptr);
}

} // namespace
} // namespace atelier::net
