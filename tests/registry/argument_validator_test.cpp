// SPDX-License-Identifier: Apache-2.0
#include <thread>

#include <gtest/gtest.h>

#include "registry/argument_validator.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;

const Json kSchema = Json::parse(R"({
  "type": "object",
  "properties": {"size": {"type": "number", "maximum": 10}, "tint": {"type": "string"}},
  "required": ["size"],
  "additionalProperties": false
})");

TEST(ArgumentValidator, AcceptsValidArguments) {
    auto validator = ArgumentValidator::create(kSchema);
    ASSERT_TRUE(validator.has_value());
    EXPECT_TRUE(validator->validate(Json{{"size", 3}}).empty());
}

TEST(ArgumentValidator, ChecksColourPropertiesAfterTheSchema) {
    auto validator = ArgumentValidator::create(kSchema, {"tint"});
    ASSERT_TRUE(validator.has_value());
    EXPECT_TRUE(validator->validate(Json{{"size", 3}, {"tint", "#00ff00"}}).empty());
    const auto errors = validator->validate(Json{{"size", 3}, {"tint", "green"}});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].pointer, "/tint");
}

TEST(ArgumentValidator, ListsKnownPropertiesInTheGivenOrder) {
    auto validator = ArgumentValidator::create(kSchema, {}, {"tint", "size"});
    ASSERT_TRUE(validator.has_value());
    const auto errors = validator->validate(Json{{"size", 1}, {"other", 1}});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "unknown property 'other' (known: tint, size)");
}

TEST(ArgumentValidator, EscapesPointerTokens) {
    auto validator = ArgumentValidator::create(kSchema);
    ASSERT_TRUE(validator.has_value());
    const auto errors = validator->validate(Json{{"size", 1}, {"a/b~c", 1}});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].pointer, "/a~1b~0c");
}

TEST(ArgumentValidator, ValidatesConcurrentlyFromManyThreads) {
    auto validator = ArgumentValidator::create(kSchema);
    ASSERT_TRUE(validator.has_value());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                if (validator->validate(Json{{"size", 50}}).size() != 1 ||
                    !validator->validate(Json{{"size", 5}}).empty()) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

TEST(ArgumentValidator, DescribesErrorsOnePerLine) {
    const std::vector<ValidationError> errors{{"/size", "5000 is above the maximum 1000"}, {"", "expected an object"}};
    EXPECT_EQ(describe(errors), "/size: 5000 is above the maximum 1000\n(arguments): expected an object");
}

} // namespace
} // namespace atelier::registry
