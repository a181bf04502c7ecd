// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/worker.h"

namespace atelier {

/// Serial queues by key on a few long-lived threads: jobs posted with the same key (a project id)
/// run one at a time in the order posted; jobs of different keys run in parallel unless their
/// keys share a thread. Replaces one hub-wide worker, on which one project's 3 s engine stop or
/// large commit held up every other project's start. Threads are long-lived because an engine's
/// parent-death signal is tied to the thread that forked it. Thread-safe.
class WorkerPool {
public:
    /// `threads` ≥ 1 workers named `<name>-<n>`.
    WorkerPool(const std::string& name, std::size_t threads);

    /// Queues `job` behind the earlier jobs of `key`; false once the pool is stopping.
    bool post(std::string_view key, std::function<void()> job);
    /// Runs what is queued, then joins the threads. Idempotent.
    void stop();
    /// True when called from one of the pool's threads.
    [[nodiscard]] bool on_worker() const;

private:
    std::vector<std::unique_ptr<Worker>> m_workers;
};

} // namespace atelier
