// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "agent/retry_policy.h"

namespace atelier::agent {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicy, RetriesOverloadAndServerErrorsButNeverRefusals) {
    for (const int status : {408, 409, 429, 500, 502, 503, 529}) {
        EXPECT_TRUE(retryable_status(status)) << status;
    }
    for (const int status : {200, 400, 401, 403, 404, 413, 422}) {
        EXPECT_FALSE(retryable_status(status)) << status;
    }
}

TEST(RetryPolicy, PrefersRetryAfterMsOverRetryAfter) {
    EXPECT_EQ(retry_after({{"retry-after-ms", "250"}, {"retry-after", "3"}}), milliseconds(250));
    EXPECT_EQ(retry_after({{"retry-after", "3"}}), milliseconds(3000));
    EXPECT_EQ(retry_after({{"retry-after", "0.5"}}), milliseconds(500));
    EXPECT_EQ(retry_after({{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}), std::nullopt);
    EXPECT_EQ(retry_after({}), std::nullopt);
}

TEST(RetryPolicy, BacksOffExponentiallyWithJitterUpToTheCap) {
    const RetryPolicy policy;
    EXPECT_EQ(backoff_delay(policy, 0, 0.0), milliseconds(250));
    EXPECT_EQ(backoff_delay(policy, 0, 1.0), milliseconds(500));
    EXPECT_EQ(backoff_delay(policy, 1, 1.0), milliseconds(1000));
    EXPECT_EQ(backoff_delay(policy, 3, 1.0), milliseconds(4000));
    EXPECT_EQ(backoff_delay(policy, 4, 1.0), milliseconds(8000));
    EXPECT_EQ(backoff_delay(policy, 10, 1.0), milliseconds(8000));
    EXPECT_EQ(backoff_delay(policy, 10, 0.0), milliseconds(4000));
}

} // namespace
} // namespace atelier::agent
