// SPDX-License-Identifier: Apache-2.0
// EngineSupervisor: what a launch carries, and the relaunch policy on a ManualClock.

#include <gtest/gtest.h>

#include "core/manual_clock.h"
#include "engine_supervision_fakes.h"
#include "engines/engine_supervisor.h"

namespace atelier::engines::testing {
namespace {

using std::chrono::milliseconds;

class EngineSupervisorTest : public ::testing::Test {
protected:
    std::shared_ptr<EngineSupervisor> make_supervisor() {
        EngineSupervisor::Options options;
        options.kinds["fake"] = EngineKindConfig{.command = {"fake-engine", "--flag"}};
        options.hub_url = "ws://127.0.0.1:1/ws/engine";
        options.max_attempts = 3;
        options.backoff_base = milliseconds(100);
        options.backoff_cap = milliseconds(400);
        return std::make_shared<EngineSupervisor>(
            options,
            [this](const EngineLaunch& launch) -> Result<std::unique_ptr<RunningEngine>> {
                last = launch;
                return std::unique_ptr<RunningEngine>(std::make_unique<FakeRunningEngine>());
            },
            tokens, clock, worker);
    }

    ManualClock clock;
    LaunchTokens tokens;
    Worker worker{"supervisor-test"};
    EngineLaunch last;
};

TEST_F(EngineSupervisorTest, ALaunchCarriesTheKindsCommandAndATokenForItsOwner) {
    auto supervisor = make_supervisor();
    supervisor->set_hub_url("ws://127.0.0.1:8420/ws/engine");
    auto launched = supervisor->launch("fake", "session-1", "/tmp/work", "/tmp/engine.log");
    ASSERT_TRUE(launched.has_value()) << launched.error().message;
    EXPECT_EQ(last.command, (std::vector<std::string>{"fake-engine", "--flag"}));
    EXPECT_EQ(last.workdir, "/tmp/work");
    EXPECT_EQ(last.env.at("ATELIER_HUB_URL"), "ws://127.0.0.1:8420/ws/engine");
    EXPECT_EQ(last.env.at("ATELIER_SESSION_ID"), "session-1");
    const auto grant = tokens.consume(last.env.at("ATELIER_ENGINE_TOKEN"));
    ASSERT_TRUE(grant.has_value());
    EXPECT_EQ(grant->kind, "fake");
    EXPECT_EQ(grant->session_id, "session-1");
}

TEST_F(EngineSupervisorTest, AnUnknownKindIsRefusedWithoutALaunch) {
    auto supervisor = make_supervisor();
    auto launched = supervisor->launch("blender", "session-1", "/tmp/work", "/tmp/engine.log");
    ASSERT_FALSE(launched.has_value());
    EXPECT_EQ(launched.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(last.kind.empty());
}

TEST_F(EngineSupervisorTest, ALostEngineIsStoppedAndRelaunchedAfterAGrowingCappedBackoff) {
    auto supervisor = make_supervisor();
    FakeRunningEngine old;
    const auto first = supervisor->engine_lost(1, &old);
    EXPECT_FALSE(first.give_up);
    EXPECT_EQ(old.stops(), 1);
    EXPECT_EQ(first.log_tail, "the fake engine's last words");
    // 100 ms × 2^(n-1), capped at 400 ms, jittered over its upper half.
    EXPECT_GE(first.delay, milliseconds(50));
    EXPECT_LE(first.delay, milliseconds(100));
    const auto third = supervisor->engine_lost(3, nullptr);
    EXPECT_FALSE(third.give_up);
    EXPECT_GE(third.delay, milliseconds(200));
    EXPECT_LE(third.delay, milliseconds(400));
}

TEST_F(EngineSupervisorTest, GivesUpAfterTheLastAttempt) {
    auto supervisor = make_supervisor();
    EXPECT_FALSE(supervisor->engine_lost(3, nullptr).give_up);
    EXPECT_TRUE(supervisor->engine_lost(4, nullptr).give_up);
}

TEST_F(EngineSupervisorTest, TheRelaunchWaitsForItsDelayOnTheClock) {
    auto supervisor = make_supervisor();
    int relaunched = 0;
    supervisor->relaunch_after(milliseconds(300), [&] { ++relaunched; });
    clock.advance(milliseconds(299));
    EXPECT_EQ(relaunched, 0);
    clock.advance(milliseconds(1));
    EXPECT_EQ(relaunched, 1);
}

TEST_F(EngineSupervisorTest, WithoutPooledKindsThereIsNoPool) {
    auto supervisor = make_supervisor();
    supervisor->start_pool();
    EXPECT_EQ(supervisor->pool_status(), nlohmann::json::object());
    EXPECT_FALSE(supervisor->take("fake").has_value());
}

} // namespace
} // namespace atelier::engines::testing
