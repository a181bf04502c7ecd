// SPDX-License-Identifier: Apache-2.0
#include "mcp/json_rpc.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace atelier::mcp {
namespace {

TEST(Base64, RoundTripsEveryLength) {
    const std::string bytes("\x00\x01\xfe\xffhello, \xe4\xb8\x96", 13);
    for (std::size_t length = 0; length <= bytes.size(); ++length) {
        const std::string input = bytes.substr(0, length);
        std::string output;
        ASSERT_TRUE(base64_decode(base64(input), output)) << length;
        EXPECT_EQ(output, input) << length;
    }
    EXPECT_EQ(base64("list_projects"), "bGlzdF9wcm9qZWN0cw==");
}

TEST(Base64, RejectsWhatIsNotBase64) {
    std::string output;
    EXPECT_FALSE(base64_decode("abc", output)) << "not a multiple of 4";
    EXPECT_FALSE(base64_decode("ab!d", output));
    EXPECT_FALSE(base64_decode("a=bc", output)) << "padding inside";
    EXPECT_FALSE(base64_decode("a===", output)) << "three padding characters";
}

TEST(Accepts, FindsAMediaTypeInAnAcceptList) {
    EXPECT_TRUE(accepts("application/json, text/event-stream", "text/event-stream"));
    EXPECT_TRUE(accepts("text/event-stream;q=0.9", "text/event-stream"));
    EXPECT_TRUE(accepts("*/*", "text/event-stream"));
    EXPECT_FALSE(accepts("application/json", "text/event-stream"));
    EXPECT_FALSE(accepts("", "text/event-stream"));
}

TEST(ErrorMessage, CarriesDataOnlyWhenGiven) {
    const auto plain = error_message(7, kInvalidParams, "bad", nullptr);
    EXPECT_EQ(plain["id"], 7);
    EXPECT_FALSE(plain["error"].contains("data"));
    const auto with_data = error_message(nullptr, kUnsupportedProtocolVersion, "no", {{"supported", {"x"}}});
    EXPECT_TRUE(with_data["id"].is_null());
    EXPECT_EQ(with_data["error"]["data"]["supported"][0], "x");
}

} // namespace
} // namespace atelier::mcp
