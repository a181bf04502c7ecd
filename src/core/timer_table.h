// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <utility>

#include "core/timers.h"

namespace atelier {

/// The pending timers of a Timers implementation, ordered by deadline (ties in scheduling order),
/// with ids for cancel(). `Deadline` is the implementation's time point (TimerQueue: the steady
/// clock; ManualClock: its elapsed time). Not thread-safe: its owner holds its own lock.
template <typename Deadline> class TimerTable {
public:
    using TimerId = Timers::TimerId;

    /// Adds a timer; its id (never 0).
    TimerId add(Deadline deadline, std::function<void()> callback) {
        const TimerId id = m_next_id++;
        m_timers.emplace(std::make_pair(deadline, id), std::move(callback));
        m_deadlines.emplace(id, deadline);
        return id;
    }
    /// Removes a pending timer; false when `id` is not pending (fired, cancelled, or never made).
    bool cancel(TimerId id) {
        const auto it = m_deadlines.find(id);
        if (it == m_deadlines.end()) {
            return false;
        }
        m_timers.erase(std::make_pair(it->second, id));
        m_deadlines.erase(it);
        return true;
    }
    [[nodiscard]] bool empty() const { return m_timers.empty(); }
    [[nodiscard]] std::size_t size() const { return m_timers.size(); }
    /// The earliest deadline; only when not empty().
    [[nodiscard]] Deadline earliest() const { return m_timers.begin()->first.first; }
    /// Removes the earliest timer and returns its callback; only when not empty().
    std::function<void()> pop_earliest() {
        const auto next = m_timers.begin();
        auto callback = std::move(next->second);
        m_deadlines.erase(next->first.second);
        m_timers.erase(next);
        return callback;
    }

private:
    std::map<std::pair<Deadline, TimerId>, std::function<void()>> m_timers;
    std::map<TimerId, Deadline> m_deadlines;
    TimerId m_next_id = 1;
};

} // namespace atelier
