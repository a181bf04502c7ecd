// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engines/running_engine.h"
#include "net/websocket.h"

namespace atelier::engines::testing {

inline constexpr std::chrono::seconds kEventDeadline{20};

/// A started engine that is no process: it records stop() and can "exit" on demand.
class FakeRunningEngine final : public RunningEngine {
public:
    void stop(std::chrono::milliseconds /*grace*/) override {
        const std::lock_guard lock(m_mutex);
        ++m_stops;
    }
    [[nodiscard]] std::string log_tail() override { return "the fake engine's last words"; }
    [[nodiscard]] int pid() const override { return 0; }
    void on_exit(std::function<void(const std::string&)> callback) override {
        const std::lock_guard lock(m_mutex);
        m_exit = std::move(callback);
    }
    [[nodiscard]] int stops() const {
        const std::lock_guard lock(m_mutex);
        return m_stops;
    }

private:
    mutable std::mutex m_mutex;
    int m_stops = 0;
    std::function<void(const std::string&)> m_exit;
};

/// An engine's WebSocket that goes nowhere (an EngineLink needs one).
class NullConnection final : public net::WebSocketConnection {
public:
    void send_text(std::string /*message*/) override {}
    void send_binary(std::string /*message*/) override {}
    void close(std::uint16_t /*code*/, std::string /*reason*/) override {}
    [[nodiscard]] std::uint64_t id() const override { return 7; }
    [[nodiscard]] const net::HttpRequest& request() const override { return m_request; }

private:
    net::HttpRequest m_request;
};

/// Records each launch the pool or supervisor asks for; launches can be made to fail. Thread-safe.
class LaunchRecorder {
public:
    struct Launch {
        std::string kind;
        std::string owner;
    };
    Result<std::unique_ptr<RunningEngine>> launch(const std::string& kind, const std::string& owner) {
        const std::lock_guard lock(m_mutex);
        m_launches.push_back({kind, owner});
        m_launched.notify_all();
        if (m_fail) {
            return fail(ErrorCode::Unavailable, "told to fail");
        }
        return std::unique_ptr<RunningEngine>(std::make_unique<FakeRunningEngine>());
    }
    void fail_all() {
        const std::lock_guard lock(m_mutex);
        m_fail = true;
    }
    /// Waits until `count` launches were asked for; the `count`th, or nullopt-like empty after the deadline.
    [[nodiscard]] Launch wait_for(std::size_t count) {
        std::unique_lock lock(m_mutex);
        if (!m_launched.wait_for(lock, kEventDeadline, [&] { return m_launches.size() >= count; })) {
            return {};
        }
        return m_launches[count - 1];
    }
    [[nodiscard]] std::size_t count() const {
        const std::lock_guard lock(m_mutex);
        return m_launches.size();
    }

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_launched;
    std::vector<Launch> m_launches;
    bool m_fail = false;
};

} // namespace atelier::engines::testing
