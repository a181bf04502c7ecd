// SPDX-License-Identifier: Apache-2.0
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "core/ids.h"

namespace atelier {
namespace {

TEST(Ids, MakesVersionFourUuids) {
    const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto id = new_uuid();
        EXPECT_TRUE(std::regex_match(id, shape)) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 100U);
}

TEST(Ids, MakesRandomHexOfTheAskedLength) {
    EXPECT_EQ(random_hex(32).size(), 64U);
    EXPECT_NE(random_hex(16), random_hex(16));
}

TEST(Ids, ComparesSecretsExactly) {
    EXPECT_TRUE(constant_time_equals("abc", "abc"));
    EXPECT_FALSE(constant_time_equals("abc", "abd"));
    EXPECT_FALSE(constant_time_equals("abc", "abcd"));
    EXPECT_FALSE(constant_time_equals("", "a"));
}

} // namespace
} // namespace atelier
