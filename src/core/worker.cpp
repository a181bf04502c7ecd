// SPDX-License-Identifier: Apache-2.0
#include "core/worker.h"

#include <pthread.h>

#include <spdlog/spdlog.h>

namespace atelier {

Worker::Worker(std::string name) : m_name(std::move(name)), m_thread([this] { run(); }) {}

Worker::~Worker() {
    stop();
}

bool Worker::post(std::function<void()> job) {
    {
        const std::lock_guard lock(m_mutex);
        if (m_stopping) {
            return false;
        }
        m_jobs.push_back(std::move(job));
    }
    m_wake.notify_one();
    return true;
}

void Worker::stop() {
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    if (m_thread.joinable() && !on_worker()) {
        m_thread.join();
    }
}

bool Worker::on_worker() const {
    return std::this_thread::get_id() == m_thread.get_id();
}

void Worker::run() {
    ::pthread_setname_np(::pthread_self(), m_name.substr(0, 15).c_str());
    while (true) {
        std::function<void()> job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
            if (m_jobs.empty()) {
                return; // stopping, and everything queued has run
            }
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
        }
        try {
            job();
        } catch (const std::exception& error) {
            spdlog::error("worker {}: a job failed: {}", m_name, error.what());
        } catch (...) {
            spdlog::error("worker {}: a job failed with an unknown exception", m_name);
        }
    }
}

} // namespace atelier
