// SPDX-License-Identifier: Apache-2.0
#include "core/timer_queue.h"

#include <spdlog/spdlog.h>

namespace atelier {

TimerQueue::TimerQueue() : m_thread([this] { run(); }) {}

TimerQueue::~TimerQueue() {
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

TimerQueue::TimerId TimerQueue::schedule(std::chrono::milliseconds delay, std::function<void()> callback) {
    const auto deadline = std::chrono::steady_clock::now() + delay;
    TimerId id = 0;
    bool earliest = false;
    {
        const std::lock_guard lock(m_mutex);
        earliest = m_timers.empty() || deadline < m_timers.earliest();
        id = m_timers.add(deadline, std::move(callback));
    }
    // Waking the timer thread costs a context switch; it is needed only when this timer is
    // now the first to fire (most timeouts are cancelled long before they are due).
    if (earliest) {
        m_wake.notify_all();
    }
    return id;
}

bool TimerQueue::cancel(TimerId id) {
    const std::lock_guard lock(m_mutex);
    return m_timers.cancel(id);
}

void TimerQueue::run() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        if (m_timers.empty()) {
            m_wake.wait(lock);
            continue;
        }
        // A copy: cancel() may erase this entry while we wait.
        const auto deadline = m_timers.earliest();
        if (deadline > std::chrono::steady_clock::now()) {
            m_wake.wait_until(lock, deadline);
            continue;
        }
        auto callback = m_timers.pop_earliest();
        lock.unlock();
        // Last resort: one callback that throws must not end the thread every deadline runs on.
        try {
            callback();
        } catch (const std::exception& error) {
            spdlog::error("timer: a callback failed: {}", error.what());
        } catch (...) {
            spdlog::error("timer: a callback failed with an unknown exception");
        }
        lock.lock();
    }
}

} // namespace atelier
