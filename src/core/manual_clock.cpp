// SPDX-License-Identifier: Apache-2.0
#include "core/manual_clock.h"

namespace atelier {
namespace {

// A fixed origin, so logs of two runs of one test read the same.
const std::chrono::steady_clock::time_point kSteadyOrigin{std::chrono::hours(24)};
const std::chrono::system_clock::time_point kWallOrigin{std::chrono::seconds(1'800'000'000)};

} // namespace

std::chrono::steady_clock::time_point ManualClock::now() const {
    const std::lock_guard lock(m_mutex);
    return kSteadyOrigin + m_elapsed;
}

std::chrono::system_clock::time_point ManualClock::wall_now() const {
    const std::lock_guard lock(m_mutex);
    return kWallOrigin + m_elapsed;
}

Timers::TimerId ManualClock::schedule(std::chrono::milliseconds delay, std::function<void()> callback) {
    const std::lock_guard lock(m_mutex);
    const TimerId id = m_timers.add(m_elapsed + std::max(delay, std::chrono::milliseconds(0)), std::move(callback));
    m_scheduled.notify_all();
    return id;
}

bool ManualClock::cancel(TimerId id) {
    const std::lock_guard lock(m_mutex);
    return m_timers.cancel(id);
}

std::size_t ManualClock::advance(std::chrono::milliseconds step) {
    std::size_t ran = 0;
    std::unique_lock lock(m_mutex);
    const auto until = m_elapsed + step;
    while (!m_timers.empty() && m_timers.earliest() <= until) {
        // Time stands at each deadline while its callback runs, as it would on a real clock.
        m_elapsed = std::max(m_elapsed, m_timers.earliest());
        auto callback = m_timers.pop_earliest();
        lock.unlock();
        callback();
        ++ran;
        lock.lock();
    }
    m_elapsed = until;
    return ran;
}

std::size_t ManualClock::pending() const {
    const std::lock_guard lock(m_mutex);
    return m_timers.size();
}

std::chrono::milliseconds ManualClock::next_delay() const {
    const std::lock_guard lock(m_mutex);
    if (m_timers.empty()) {
        return std::chrono::milliseconds(-1);
    }
    return m_timers.earliest() - m_elapsed;
}

bool ManualClock::wait_for_pending(std::size_t count, std::chrono::milliseconds deadline) const {
    std::unique_lock lock(m_mutex);
    return m_scheduled.wait_for(lock, deadline, [&] { return m_timers.size() >= count; });
}

} // namespace atelier
