// SPDX-License-Identifier: Apache-2.0
#include "engines/engine_supervisor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/backoff.h"

namespace atelier::engines {

EngineSupervisor::EngineSupervisor(Options options, EngineStarter starter, LaunchTokens& tokens, Timers& timers,
                                   Worker& pool_worker)
    : m_options(std::move(options)), m_starter(std::move(starter)), m_tokens(tokens), m_timers(timers),
      m_pool_worker(pool_worker), m_hub_url(m_options.hub_url) {}

void EngineSupervisor::set_hub_url(std::string url) {
    const std::lock_guard lock(m_mutex);
    m_hub_url = std::move(url);
}

EngineLaunch EngineSupervisor::launch_request(const std::string& kind, const std::string& owner,
                                              const std::filesystem::path& workdir,
                                              const std::filesystem::path& log_file,
                                              const std::string& project_id) const {
    const auto& config = m_options.kinds.at(kind);
    EngineLaunch request;
    request.kind = kind;
    request.command = config.command;
    request.sandbox = config.sandbox;
    request.workdir = workdir;
    request.log_file = log_file;
    std::string hub_url;
    {
        const std::lock_guard lock(m_mutex);
        hub_url = m_hub_url;
    }
    request.env = {{"ATELIER_HUB_URL", hub_url},
                   {"ATELIER_ENGINE_TOKEN", m_tokens.issue({kind, owner})},
                   {"ATELIER_SESSION_ID", owner},
                   {"ATELIER_WORKDIR", workdir.string()}};
    if (!project_id.empty()) {
        // So an engine can name its outputs' download URLs (/api/projects/<id>/files/exports/…).
        request.env["ATELIER_PROJECT_ID"] = project_id;
    }
    return request;
}

Result<std::unique_ptr<RunningEngine>> EngineSupervisor::launch(const std::string& kind, const std::string& owner,
                                                                const std::filesystem::path& workdir,
                                                                const std::filesystem::path& log_file,
                                                                const std::string& project_id) {
    if (m_options.kinds.find(kind) == m_options.kinds.end()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("no engine kind \"{}\" is configured", kind));
    }
    return m_starter(launch_request(kind, owner, workdir, log_file, project_id));
}

void EngineSupervisor::start_pool() {
    EnginePool::Options options;
    for (const auto& [kind, config] : m_options.kinds) {
        if (config.pool > 0) {
            options.sizes[kind] = static_cast<int>(config.pool);
        }
    }
    if (options.sizes.empty()) {
        return;
    }
    options.dir = m_options.pool_dir;
    options.max_failures = m_options.max_attempts;
    options.backoff_base = m_options.backoff_base;
    options.backoff_cap = m_options.backoff_cap;
    options.stop_grace = m_options.stop_grace;
    // The pool's jobs may outlive the supervisor by a moment (hub shutdown): they reach it weakly.
    auto launch =
        [weak = weak_from_this()](const std::string& kind, const std::string& id, const std::filesystem::path& workdir,
                                  const std::filesystem::path& log_file) -> Result<std::unique_ptr<RunningEngine>> {
        auto self = weak.lock();
        if (!self) {
            return fail(ErrorCode::Unavailable, "the hub is shutting down");
        }
        return self->launch(kind, id, workdir, log_file);
    };
    auto pool = std::make_shared<EnginePool>(std::move(options), std::move(launch), m_pool_worker, m_timers);
    {
        const std::lock_guard lock(m_mutex);
        m_pool = pool;
    }
    pool->fill();
}

std::optional<PooledEngine> EngineSupervisor::take(const std::string& kind) {
    std::shared_ptr<EnginePool> pool;
    {
        const std::lock_guard lock(m_mutex);
        pool = m_pool;
    }
    return pool ? pool->take(kind) : std::nullopt;
}

bool EngineSupervisor::on_connected(const std::shared_ptr<EngineLink>& link) {
    std::shared_ptr<EnginePool> pool;
    {
        const std::lock_guard lock(m_mutex);
        pool = m_pool;
    }
    return pool && pool->on_connected(link);
}

nlohmann::json EngineSupervisor::pool_status() const {
    std::shared_ptr<EnginePool> pool;
    {
        const std::lock_guard lock(m_mutex);
        pool = m_pool;
    }
    return pool ? pool->status() : nlohmann::json::object();
}

void EngineSupervisor::shutdown() {
    std::shared_ptr<EnginePool> pool;
    {
        const std::lock_guard lock(m_mutex);
        pool = m_pool;
    }
    if (pool) {
        pool->shutdown();
    }
}

EngineSupervisor::Verdict EngineSupervisor::engine_lost(int attempt, RunningEngine* old) {
    Verdict verdict;
    if (old != nullptr) {
        verdict.log_tail = old->log_tail();
        old->stop(m_options.stop_grace);
    }
    verdict.give_up = attempt > m_options.max_attempts;
    if (!verdict.give_up) {
        verdict.delay = jittered_backoff(m_options.backoff_base, m_options.backoff_cap, attempt - 1);
    }
    return verdict;
}

void EngineSupervisor::relaunch_after(std::chrono::milliseconds delay, std::function<void()> relaunch) {
    m_timers.schedule(delay, std::move(relaunch));
}

} // namespace atelier::engines
