// SPDX-License-Identifier: Apache-2.0
#include "engines/engine_pool.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/backoff.h"
#include "core/ids.h"

namespace atelier::engines {

struct EnginePool::Entry {
    std::string id;
    std::string kind;
    std::filesystem::path workdir;
    std::filesystem::path log_file;
    std::unique_ptr<RunningEngine> process;
    std::shared_ptr<EngineLink> link;
    std::shared_ptr<EngineObserver> observer;
    bool gone = false; ///< taken, lost or stopped: later reports about it are ignored
};

namespace {

// Notices an idle engine's connection dropping (a session's own observer takes over on take()).
class IdleObserver final : public EngineObserver {
public:
    explicit IdleObserver(std::function<void(const std::string&)> lost) : m_lost(std::move(lost)) {}
    void on_disconnected(const Error& reason) override { m_lost("disconnected while idle: " + reason.message); }

private:
    std::function<void(const std::string&)> m_lost;
};

} // namespace

EnginePool::EnginePool(Options options, Launch launch, Worker& worker, Timers& timers)
    : m_options(std::move(options)), m_launch(std::move(launch)), m_worker(worker), m_timers(timers) {}

void EnginePool::fill() {
    std::vector<std::string> to_launch;
    {
        const std::lock_guard lock(m_mutex);
        if (m_stopped) {
            return;
        }
        for (const auto& [kind, size] : m_options.sizes) {
            if (m_failures[kind] >= m_options.max_failures) {
                continue;
            }
            int have = 0;
            for (const auto& [id, entry] : m_entries) {
                have += entry->kind == kind ? 1 : 0;
            }
            for (int i = have; i < size; ++i) {
                // Reserve the slot now so concurrent fills do not over-launch.
                auto entry = std::make_shared<Entry>();
                entry->id = "pool-" + new_uuid();
                entry->kind = kind;
                entry->workdir = m_options.dir / entry->id / "work";
                entry->log_file = m_options.dir / entry->id / "engine.log";
                m_entries[entry->id] = entry;
                to_launch.push_back(entry->id);
            }
        }
    }
    std::weak_ptr<EnginePool> weak = weak_from_this();
    for (const auto& id : to_launch) {
        m_worker.post([weak, id] {
            if (auto self = weak.lock()) {
                self->launch_one(id);
            }
        });
    }
}

void EnginePool::launch_one(const std::string& id) {
    std::shared_ptr<Entry> entry;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_entries.find(id);
        if (it == m_entries.end() || m_stopped) {
            return;
        }
        entry = it->second;
    }
    std::error_code error;
    std::filesystem::create_directories(entry->workdir, error);
    if (error) {
        return lost(entry, fmt::format("cannot create {}: {}", entry->workdir.string(), error.message()));
    }
    auto process = m_launch(entry->kind, entry->id, entry->workdir, entry->log_file);
    if (!process) {
        return lost(entry, process.error().message);
    }
    auto* running = process->get();
    {
        const std::lock_guard lock(m_mutex);
        if (entry->gone) {
            process.value()->stop(m_options.stop_grace);
            return;
        }
        entry->process = std::move(*process);
    }
    spdlog::info("pool {}: started a {} engine (pid {})", entry->id.substr(0, 13), entry->kind, running->pid());
    std::weak_ptr<EnginePool> weak = weak_from_this();
    // Outside the lock: the callback runs at once when the process has already exited.
    running->on_exit([weak, weak_entry = std::weak_ptr<Entry>(entry)](const std::string& status) {
        auto self = weak.lock();
        auto alive = weak_entry.lock();
        if (self && alive) {
            self->lost(alive, "the engine process exited (" + status + ")");
        }
    });
}

bool EnginePool::on_connected(const std::shared_ptr<EngineLink>& link) {
    std::shared_ptr<Entry> entry;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_entries.find(link->info().session_id);
        if (it == m_entries.end()) {
            return false;
        }
        entry = it->second;
        if (entry->gone || entry->link) {
            return true; // ours, but no longer wanted (its process is being stopped)
        }
        entry->link = link;
        m_failures[entry->kind] = 0;
    }
    std::weak_ptr<EnginePool> weak = weak_from_this();
    // The entry owns the observer: it may only point back weakly.
    entry->observer =
        std::make_shared<IdleObserver>([weak, weak_entry = std::weak_ptr<Entry>(entry)](const std::string& why) {
            auto self = weak.lock();
            auto alive = weak_entry.lock();
            if (self && alive) {
                self->lost(alive, why);
            }
        });
    link->add_observer(entry->observer);
    spdlog::info("pool {}: {} engine {} idle", entry->id.substr(0, 13), entry->kind, link->info().id.substr(0, 8));
    return true;
}

std::optional<PooledEngine> EnginePool::take(const std::string& kind) {
    std::shared_ptr<Entry> entry;
    {
        const std::lock_guard lock(m_mutex);
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
            if (it->second->kind == kind && it->second->link && it->second->process && !it->second->gone) {
                entry = it->second;
                entry->gone = true;
                m_entries.erase(it);
                break;
            }
        }
    }
    if (!entry) {
        return std::nullopt;
    }
    entry->link->remove_observer(entry->observer.get());
    fill();
    return PooledEngine{
        entry->id, entry->kind, entry->workdir, entry->log_file, std::move(entry->process), std::move(entry->link)};
}

void EnginePool::lost(const std::shared_ptr<Entry>& entry, const std::string& why) {
    std::unique_ptr<RunningEngine> process;
    int failures = 0;
    {
        const std::lock_guard lock(m_mutex);
        if (entry->gone) {
            return;
        }
        entry->gone = true;
        m_entries.erase(entry->id);
        process = std::move(entry->process);
        failures = ++m_failures[entry->kind];
        if (m_stopped) {
            return;
        }
    }
    const std::string tail = process ? process->log_tail() : "";
    if (entry->link && entry->observer) {
        entry->link->remove_observer(entry->observer.get());
    }
    // Stopping may wait for the process: never on the thread that reported the loss.
    if (process) {
        m_worker.post([process = std::shared_ptr<RunningEngine>(std::move(process)), grace = m_options.stop_grace] {
            process->stop(grace);
        });
    }
    if (failures >= m_options.max_failures) {
        spdlog::error("pool: {} engines failed {} times in a row; no more are started until a restart. Last: {}{}{}",
                      entry->kind, failures, why, tail.empty() ? "" : "; engine log: ", tail);
        return;
    }
    const auto delay = jittered_backoff(m_options.backoff_base, m_options.backoff_cap, failures - 1);
    spdlog::warn("pool {}: {} engine lost ({}); replacing it in {} ms", entry->id.substr(0, 13), entry->kind, why,
                 delay.count());
    std::weak_ptr<EnginePool> weak = weak_from_this();
    m_timers.schedule(delay, [weak] {
        if (auto self = weak.lock()) {
            self->fill();
        }
    });
}

void EnginePool::shutdown() {
    std::map<std::string, std::shared_ptr<Entry>> entries;
    {
        const std::lock_guard lock(m_mutex);
        m_stopped = true;
        entries.swap(m_entries);
        for (auto& [id, entry] : entries) {
            entry->gone = true;
        }
    }
    for (auto& [id, entry] : entries) {
        if (entry->link && entry->observer) {
            entry->link->remove_observer(entry->observer.get());
        }
        if (entry->process) {
            entry->process->stop(m_options.stop_grace);
        }
    }
}

nlohmann::json EnginePool::status() const {
    const std::lock_guard lock(m_mutex);
    nlohmann::json kinds = nlohmann::json::object();
    for (const auto& [kind, size] : m_options.sizes) {
        int idle = 0;
        int starting = 0;
        for (const auto& [id, entry] : m_entries) {
            if (entry->kind == kind) {
                (entry->link ? idle : starting) += 1;
            }
        }
        const auto failures = m_failures.find(kind);
        kinds[kind] = {{"size", size},
                       {"idle", idle},
                       {"starting", starting},
                       {"failures", failures == m_failures.end() ? 0 : failures->second}};
    }
    return kinds;
}

} // namespace atelier::engines
