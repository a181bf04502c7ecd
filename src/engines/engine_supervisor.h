// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/result.h"
#include "core/timers.h"
#include "core/worker.h"
#include "engines/engine_link.h"
#include "engines/engine_pool.h"
#include "engines/launch_tokens.h"
#include "engines/running_engine.h"

namespace atelier::engines {

/// Engine supervision for the hub (DESIGN §5): launches engines with one-time tokens through the
/// starter, keeps the warm pool (engine_pool.h), and decides what happens to a lost engine — stop
/// what is left of it, relaunch after an exponential backoff with jitter (0.5 s × 2ⁿ, capped, on
/// the injected timers), or give up after `max_attempts`. It knows nothing of sessions: a launch's
/// owner (the session id in its token) is whoever asked. Thread-safe; create with make_shared.
class EngineSupervisor : public std::enable_shared_from_this<EngineSupervisor> {
public:
    struct Options {
        std::map<std::string, EngineKindConfig> kinds;
        std::string hub_url;            ///< the /ws/engine URL engines connect to (set_hub_url once bound)
        std::filesystem::path pool_dir; ///< pooled engines live in <pool_dir>/<pool id>/
        int max_attempts = 5;
        std::chrono::milliseconds backoff_base{500};
        std::chrono::milliseconds backoff_cap{10'000};
        std::chrono::milliseconds stop_grace{3'000};
    };
    /// `timers`: backoff and pool refills; `pool_worker`: the pool's launches and stops.
    EngineSupervisor(Options options, EngineStarter starter, LaunchTokens& tokens, Timers& timers, Worker& pool_worker);

    void set_hub_url(std::string url);
    [[nodiscard]] int max_attempts() const { return m_options.max_attempts; }
    [[nodiscard]] std::chrono::milliseconds stop_grace() const { return m_options.stop_grace; }

    /// Starts an engine of `kind` in `workdir` whose launch token names `owner`. Blocks while the
    /// launcher starts it: call it on a worker thread. InvalidArgument for an unknown kind.
    /// ATELIER_PROJECT_ID is set when `project_id` is given (a pooled engine learns it from
    /// `project/open`).
    [[nodiscard]] Result<std::unique_ptr<RunningEngine>> launch(const std::string& kind, const std::string& owner,
                                                                const std::filesystem::path& workdir,
                                                                const std::filesystem::path& log_file,
                                                                const std::string& project_id = {});

    /// Starts the warm pools of the kinds with `pool > 0`; call once the hub URL is known.
    void start_pool();
    /// A connected idle engine of `kind`, now the caller's (nullopt when none is idle).
    [[nodiscard]] std::optional<PooledEngine> take(const std::string& kind);
    /// An engine connected: true when it is one of the pool's (it becomes idle).
    bool on_connected(const std::shared_ptr<EngineLink>& link);
    /// Per kind: size, idle, starting, failures; `{}` without a pool.
    [[nodiscard]] nlohmann::json pool_status() const;
    /// Stops the pool's engines (hub shutdown).
    void shutdown();

    /// What to do about a lost engine.
    struct Verdict {
        bool give_up = false;               ///< attempts are exhausted
        std::chrono::milliseconds delay{0}; ///< the backoff before relaunching (when not giving up)
        std::string log_tail;               ///< the lost engine's last output, for the reason shown
    };
    /// The engine was lost for the `attempt`th time in a row (1 first): stops what is left of `old`
    /// (when given; blocks up to stop_grace, so call it on a worker) and says whether to relaunch.
    [[nodiscard]] Verdict engine_lost(int attempt, RunningEngine* old);
    /// Runs `relaunch` once `delay` has passed, on the timers' thread (it must post real work).
    void relaunch_after(std::chrono::milliseconds delay, std::function<void()> relaunch);

private:
    [[nodiscard]] EngineLaunch launch_request(const std::string& kind, const std::string& owner,
                                              const std::filesystem::path& workdir,
                                              const std::filesystem::path& log_file,
                                              const std::string& project_id) const;

    Options m_options;
    EngineStarter m_starter;
    LaunchTokens& m_tokens;
    Timers& m_timers;
    Worker& m_pool_worker;
    mutable std::mutex m_mutex;
    std::string m_hub_url;              ///< guarded by m_mutex
    std::shared_ptr<EnginePool> m_pool; ///< guarded by m_mutex; null until start_pool() found a pooled kind
};

} // namespace atelier::engines
