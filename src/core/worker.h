// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace atelier {

/// One long-lived background thread that runs posted jobs in order: the place for slow, blocking
/// work that must not hold a network thread (git checkouts and commits, engine launches). Being
/// long-lived matters for launches too: an engine's parent-death signal is tied to the thread
/// that forked it. Jobs posted after stop() are dropped; the destructor finishes the queue first.
class Worker {
public:
    explicit Worker(std::string name);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// Queues `job`; false once the worker is stopping.
    bool post(std::function<void()> job);
    /// Runs what is queued, then joins the thread. Idempotent.
    void stop();
    /// True when called from this worker's own thread.
    [[nodiscard]] bool on_worker() const;

private:
    void run();

    std::string m_name;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_jobs;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace atelier
