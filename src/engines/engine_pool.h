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

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/timers.h"
#include "core/worker.h"
#include "engines/engine_link.h"
#include "engines/running_engine.h"

namespace atelier::engines {

/// An idle engine handed to a session: its process, its connection, and its directory (`work/`
/// is the engine's cwd and becomes the session's working tree; `engine.log` its log).
struct PooledEngine {
    std::string id; ///< "pool-<uuid>", the session id in its launch token
    std::string kind;
    std::filesystem::path workdir;
    std::filesystem::path log_file;
    std::unique_ptr<RunningEngine> process;
    std::shared_ptr<EngineLink> link;
};

/// The warm pool (DESIGN §5, `[engines.<kind>] pool = N`): N idle engines per kind started ahead,
/// so a session start only checks out the project into the taken engine's own directory and sends
/// it `project/open` — no process start, no Blender boot. Refilled in the background after every
/// take; an engine that dies while idle is replaced with backoff, and a kind whose engines keep
/// failing stops refilling (logged with the engine's log tail) so a broken install cannot spin.
/// Thread-safe; launches run on the pool's worker thread. EngineSupervisor (engine_supervisor.h) owns it.
class EnginePool : public std::enable_shared_from_this<EnginePool> {
public:
    /// Starts one pooled engine of `kind` whose launch token names `id`, in `workdir`.
    using Launch = std::function<Result<std::unique_ptr<RunningEngine>>(const std::string& kind, const std::string& id,
                                                                        const std::filesystem::path& workdir,
                                                                        const std::filesystem::path& log_file)>;

    struct Options {
        std::map<std::string, int> sizes; ///< kind → idle engines to keep (kinds with 0 are absent)
        std::filesystem::path dir;        ///< pooled engines live in <dir>/<id>/
        int max_failures = 5;             ///< consecutive failures before a kind stops refilling
        std::chrono::milliseconds backoff_base{500};
        std::chrono::milliseconds backoff_cap{10'000};
        std::chrono::milliseconds stop_grace{3'000};
    };

    EnginePool(Options options, Launch launch, Worker& worker, Timers& timers);

    /// Queues launches until every kind has its idle engines (starting ones count).
    void fill();
    /// An engine connected: true when it is one of the pool's (it becomes idle), else false.
    bool on_connected(const std::shared_ptr<EngineLink>& link);
    /// A connected idle engine of `kind`, now the caller's; the pool refills in the background.
    [[nodiscard]] std::optional<PooledEngine> take(const std::string& kind);
    /// Stops every pooled engine and refills no more.
    void shutdown();
    /// Per kind: size, idle, starting, failures (for GET /api/engines/pool and logs).
    [[nodiscard]] nlohmann::json status() const;

private:
    struct Entry;
    void launch_one(const std::string& kind);
    void lost(const std::shared_ptr<Entry>& entry, const std::string& why);

    Options m_options;
    Launch m_launch;
    Worker& m_worker;
    Timers& m_timers;
    mutable std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<Entry>> m_entries; ///< id → entry, starting or idle
    std::map<std::string, int> m_failures;                   ///< kind → consecutive failures
    bool m_stopped = false;
};

} // namespace atelier::engines
