// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "core/timer_table.h"
#include "core/timers.h"

namespace atelier {

/// Runs callbacks after a delay on one background thread, on the steady clock: call timeouts,
/// handshake deadlines, grace periods. Callbacks must be short and thread-safe (they post real work
/// elsewhere). Cancelling a timer that has already fired is harmless.
class TimerQueue final : public Timers {
public:
    TimerQueue();
    ~TimerQueue() override;
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    TimerId schedule(std::chrono::milliseconds delay, std::function<void()> callback) override;
    bool cancel(TimerId id) override;

private:
    void run();

    std::mutex m_mutex;
    std::condition_variable m_wake;
    TimerTable<std::chrono::steady_clock::time_point> m_timers;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace atelier
