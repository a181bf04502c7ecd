// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "net/http_types.h"

namespace atelier::net {
namespace {

TEST(ParseTarget, DecodesPathAndQuery) {
    std::string path;
    std::map<std::string, std::string> query;
    ASSERT_TRUE(parse_target("/api/projects/a%20b?limit=10&name=x+y&flag", path, query));
    EXPECT_EQ(path, "/api/projects/a b");
    EXPECT_EQ(query["limit"], "10");
    EXPECT_EQ(query["name"], "x y");
    EXPECT_TRUE(query.contains("flag"));
}

TEST(ParseTarget, RejectsBadEscapesAndNul) {
    std::string path;
    std::map<std::string, std::string> query;
    EXPECT_FALSE(parse_target("/a%zz", path, query));
    EXPECT_FALSE(parse_target("/a%2", path, query));
    EXPECT_FALSE(parse_target("/a%00b", path, query));
    EXPECT_FALSE(parse_target("relative", path, query));
}

TEST(HttpRequest, ReadsCookies) {
    HttpRequest request;
    request.headers.add("Cookie", "theme=dark; atelier_token=abc123; other=1");
    EXPECT_EQ(request.cookie("atelier_token"), "abc123");
    EXPECT_EQ(request.cookie("missing"), "");
}

TEST(Headers, LookUpIgnoringCase) {
    Headers headers;
    headers.add("Content-Type", "text/plain");
    EXPECT_EQ(headers.get("content-type"), "text/plain");
    headers.set("CONTENT-TYPE", "application/json");
    EXPECT_EQ(headers.fields().size(), 1U);
    EXPECT_EQ(headers.get("Content-Type"), "application/json");
}

} // namespace
} // namespace atelier::net
