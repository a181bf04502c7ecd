// SPDX-License-Identifier: Apache-2.0
#include "core/worker_pool.h"

#include <algorithm>
#include <functional>

namespace atelier {

WorkerPool::WorkerPool(const std::string& name, std::size_t threads) {
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
        m_workers.push_back(std::make_unique<Worker>(name + "-" + std::to_string(i)));
    }
}

bool WorkerPool::post(std::string_view key, std::function<void()> job) {
    // The same key always lands on the same thread: that thread's queue is the key's order.
    const std::size_t index = std::hash<std::string_view>{}(key) % m_workers.size();
    return m_workers[index]->post(std::move(job));
}

void WorkerPool::stop() {
    for (auto& worker : m_workers) {
        worker->stop();
    }
}

bool WorkerPool::on_worker() const {
    return std::any_of(m_workers.begin(), m_workers.end(), [](const auto& worker) { return worker->on_worker(); });
}

} // namespace atelier
