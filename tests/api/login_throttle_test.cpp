// SPDX-License-Identifier: Apache-2.0
#include "api/login_throttle.h"

#include <gtest/gtest.h>

namespace atelier::api {
namespace {

using std::chrono::seconds;

class ManualClock final : public Clock {
public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() const override { return m_now; }
    [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override { return {}; }
    void advance(std::chrono::steady_clock::duration step) { m_now += step; }

private:
    std::chrono::steady_clock::time_point m_now{seconds(1000)};
};

constexpr LoginThrottle::Limit kLimit{3, seconds(60)};

TEST(LoginThrottle, LetsAKeyTryUntilItHasFailedTheLimit) {
    ManualClock clock;
    LoginThrottle throttle(clock);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(throttle.retry_after("a", kLimit), seconds(0)) << "attempt " << i;
        throttle.record_failure("a", kLimit);
    }
    EXPECT_EQ(throttle.retry_after("a", kLimit), seconds(60));
    EXPECT_EQ(throttle.retry_after("b", kLimit), seconds(0)) << "another key is not affected";
}

TEST(LoginThrottle, SaysHowLongUntilTheOldestFailureExpires) {
    ManualClock clock;
    LoginThrottle throttle(clock);
    throttle.record_failure("a", kLimit);
    clock.advance(seconds(10));
    throttle.record_failure("a", kLimit);
    throttle.record_failure("a", kLimit);
    EXPECT_EQ(throttle.retry_after("a", kLimit), seconds(50));
    clock.advance(std::chrono::milliseconds(49'500));
    EXPECT_EQ(throttle.retry_after("a", kLimit), seconds(1)) << "rounded up";
    clock.advance(std::chrono::milliseconds(500));
    EXPECT_EQ(throttle.retry_after("a", kLimit), seconds(0));
}

TEST(LoginThrottle, FailuresOutsideTheWindowDoNotCount) {
    ManualClock clock;
    LoginThrottle throttle(clock);
    throttle.record_failure("a", kLimit);
    throttle.record_failure("a", kLimit);
    clock.advance(seconds(61));
    throttle.record_failure("a", kLimit);
    throttle.record_failure("a", kLimit);
    EXPECT_EQ(throttle.retry_after("a", kLimit), seconds(0));
}

TEST(LoginThrottle, ForgetClearsAKeysFailures) {
    ManualClock clock;
    LoginThrottle throttle(clock);
    for (int i = 0; i < 3; ++i) {
        throttle.record_failure("a", kLimit);
    }
    throttle.forget("a");
    EXPECT_EQ(throttle.retry_after("a", kLimit), seconds(0));
}

} // namespace
} // namespace atelier::api
