// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

#include "core/clock.h"
#include "core/timer_table.h"
#include "core/timers.h"

namespace atelier {

/// A clock and timers that move only when told: tests drive grace periods, relaunch backoff and
/// warm-pool refills with advance() instead of sleeping. Time starts at an arbitrary fixed point.
/// Thread-safe; callbacks run on the thread that calls advance(), outside the clock's lock, in
/// deadline order (ties in scheduling order), and may schedule or cancel timers themselves.
class ManualClock final : public Clock, public Timers {
public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() const override;
    [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override;

    TimerId schedule(std::chrono::milliseconds delay, std::function<void()> callback) override;
    bool cancel(TimerId id) override;

    /// Moves time forward by `step` and runs every timer that falls due on the way, including those
    /// the callbacks schedule within the step. Returns how many ran.
    std::size_t advance(std::chrono::milliseconds step);
    /// Timers scheduled and not yet run or cancelled.
    [[nodiscard]] std::size_t pending() const;
    /// The delay until the earliest pending timer; -1 ms when none is pending.
    [[nodiscard]] std::chrono::milliseconds next_delay() const;
    /// Blocks until at least `count` timers are pending (another thread schedules them), at most
    /// `deadline` of real time; false when they were not. Tests wait for a timer to exist before
    /// they advance past it, instead of sleeping.
    [[nodiscard]] bool wait_for_pending(std::size_t count, std::chrono::milliseconds deadline) const;

private:
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_scheduled;
    std::chrono::milliseconds m_elapsed{0};
    TimerTable<std::chrono::milliseconds> m_timers; ///< deadlines as time elapsed since the origin
};

} // namespace atelier
