// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace atelier {

/// Deadlines: run a callback after a delay. The hub's grace periods, relaunch backoff and warm-pool
/// refills are scheduled through this interface, so tests can drive them with a ManualClock
/// (manual_clock.h) instead of waiting; production uses TimerQueue (timer_queue.h).
/// Implementations are thread-safe. Callbacks must be short and thread-safe (they post real work
/// elsewhere); they never run on the thread that schedules them, except under ManualClock::advance.
class Timers {
public:
    using TimerId = std::uint64_t;
    virtual ~Timers() = default;

    /// Runs `callback` once, `delay` from now. Ids are never 0, so 0 can mean "no timer".
    virtual TimerId schedule(std::chrono::milliseconds delay, std::function<void()> callback) = 0;
    /// Returns true when the timer was still pending (and now never runs). Cancelling a timer that
    /// has fired, or id 0, is harmless.
    virtual bool cancel(TimerId id) = 0;
};

} // namespace atelier
