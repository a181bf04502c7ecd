// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/worker.h"
#include "engines/engine_directory.h"
#include "engines/running_engine.h"

namespace atelier::sessions::testing {

/// How long a test waits for an event before it fails (never a pause: the wait ends with the event).
inline constexpr std::chrono::seconds kEventDeadline{20};

/// An engine inside the test process. It speaks the engine protocol to the hub's real
/// EngineDirectory over an in-memory connection, from its own thread, as a real engine does over
/// its socket: `engine/hello` with its launch token, `tools/update` (an addon `scene` with
/// `create_object {name}`, which mutates, and `list_objects`, which does not), `scene/changed`
/// after every change. Its scene is a set of object names, written to `scene.txt` in its working
/// tree on `project/save` and read from there at start and on `project/open`, so versions,
/// conflicts and restores can be checked in the repository. Thread-safe.
class FakeEngine : public std::enable_shared_from_this<FakeEngine> {
public:
    FakeEngine(engines::EngineDirectory& directory, engines::EngineLaunch launch, int number);
    ~FakeEngine();

    /// Connects: hello, tools, scene (asynchronously, on the engine's thread).
    void start();
    /// Tool calls wait (unanswered) until release_calls(): a command the test holds in flight.
    void hold_calls();
    void release_calls();
    /// The process "exits by itself" (exit code 1): its connection drops, exit callbacks run.
    void crash();
    /// engines::RunningEngine::stop(): the connection closes; returns once the engine is gone.
    void stop();

    [[nodiscard]] int number() const { return m_number; }
    [[nodiscard]] const engines::EngineLaunch& launch() const { return m_launch; }
    [[nodiscard]] std::set<std::string> objects() const;
    [[nodiscard]] bool stopped() const;
    [[nodiscard]] std::size_t held_calls() const;
    /// How many times each request arrived (`project/save`, `project/open`, `tools/call`, ...).
    [[nodiscard]] int received(const std::string& method) const;
    /// Waits (with kEventDeadline) until `predicate` holds; it is checked whenever the engine's state changes.
    [[nodiscard]] bool wait_until(const std::function<bool(const FakeEngine&)>& predicate) const;

    void on_exit(std::function<void(const std::string&)> callback);

private:
    class Connection;
    void receive(const std::string& text);
    void handle(const nlohmann::json& request);
    void answer_call(const nlohmann::json& request);
    void send(const nlohmann::json& message);
    void load_scene();
    nlohmann::json summary() const;
    void exited(const std::string& status, std::uint16_t close_code);
    void changed();

    engines::EngineDirectory& m_directory;
    engines::EngineLaunch m_launch;
    int m_number;
    std::shared_ptr<Connection> m_connection;
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed;
    std::uint64_t m_changes = 0; ///< counts changes, so a waiter never misses one
    std::set<std::string> m_objects;
    std::filesystem::path m_workdir;
    bool m_hold = false;
    std::vector<nlohmann::json> m_held;
    std::map<std::string, int> m_received;
    bool m_exited = false;
    std::vector<std::function<void(const std::string&)>> m_exit_callbacks;
    Worker m_thread; ///< last: joined first, while everything it uses is still there
};

/// The engine launcher of these tests: each launch makes a FakeEngine (no process). Launches can be
/// made to fail. Thread-safe.
class FakeLauncher {
public:
    explicit FakeLauncher(engines::EngineDirectory& directory) : m_directory(directory) {}

    /// The starter SessionManager gets.
    [[nodiscard]] engines::EngineStarter starter();
    /// The next `count` launches fail (as a missing binary would).
    void fail_next(int count);
    /// Engines launched (failed launches are not counted).
    [[nodiscard]] int launches() const;
    /// Launches asked for, failed ones included.
    [[nodiscard]] int attempts() const;
    /// The engine of the `index`th launch (0 first); waits for it to be launched.
    [[nodiscard]] std::shared_ptr<FakeEngine> engine(std::size_t index) const;
    /// Stops every engine still running (test teardown).
    void stop_all();

private:
    engines::EngineDirectory& m_directory;
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_launched;
    std::vector<std::shared_ptr<FakeEngine>> m_engines;
    int m_failures_to_come = 0;
    int m_attempts = 0;
};

} // namespace atelier::sessions::testing
