// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/result.h"

namespace atelier {
namespace {

TEST(ErrorMapping, MapsEachCodeToOneStatusCloseCodeAndName) {
    EXPECT_EQ(http_status(ErrorCode::NotFound), 404);
    EXPECT_EQ(http_status(ErrorCode::Unauthorized), 401);
    EXPECT_EQ(http_status(ErrorCode::PayloadTooLarge), 413);
    EXPECT_EQ(websocket_close_code(ErrorCode::PayloadTooLarge), 1009);
    EXPECT_EQ(websocket_close_code(ErrorCode::Unavailable), 1001);
    EXPECT_EQ(error_code_name(ErrorCode::EngineLost), "engine_lost");
}

TEST(ErrorMapping, BuildsTheJsonErrorBody) {
    const auto body = nlohmann::json::parse(error_body(Error{ErrorCode::InvalidArgument, "name is \"too\" long"}));
    EXPECT_EQ(body["error"]["code"], "invalid_argument");
    EXPECT_EQ(body["error"]["message"], "name is \"too\" long");
}

Result<int> half(int value) {
    if (value % 2 != 0) {
        return fail(ErrorCode::InvalidArgument, "odd");
    }
    return value / 2;
}

Result<int> quarter(int value) {
    const int halved = ATELIER_TRY(half(value));
    return ATELIER_TRY(half(halved));
}

TEST(Result, TryPropagatesTheFirstError) {
    EXPECT_EQ(quarter(8).value(), 2);
    ASSERT_FALSE(quarter(6));
    EXPECT_EQ(quarter(6).error().message, "odd");
}

} // namespace
} // namespace atelier
