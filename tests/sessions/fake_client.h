// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fake_engine.h"
#include "sessions/session_client.h"

namespace atelier::sessions::testing {

/// A session client that records what it is told: a tab or an MCP client as far as the session
/// layer can tell. Tests wait for an event (with kEventDeadline), never for time. Thread-safe.
class FakeClient final : public SessionClient {
public:
    explicit FakeClient(std::uint64_t id, ClientInfo info = {}) : m_id(id), m_info(std::move(info)) {}

    [[nodiscard]] std::uint64_t id() const override { return m_id; }
    [[nodiscard]] const ClientInfo& info() const { return m_info; }
    void deliver(const SessionEvent& event) override {
        const std::lock_guard lock(m_mutex);
        m_events.push_back(event);
        m_delivered.notify_all();
    }
    void deliver_frame(const std::string& /*frame*/) override {}

    using Match = std::function<bool(const SessionEvent&)>;
    /// The first event of `type` for which `match` holds among the events from the `from`th on
    /// (0: all), once it has come; nullopt after kEventDeadline.
    [[nodiscard]] std::optional<SessionEvent> wait_for(const std::string& type, const Match& match = {},
                                                       std::size_t from = 0) const {
        std::unique_lock lock(m_mutex);
        std::optional<SessionEvent> found;
        m_delivered.wait_for(lock, kEventDeadline, [&] {
            found = first(type, match, from);
            return found.has_value();
        });
        return found;
    }
    /// Events received so far (a `from` for wait_for: only what comes after now).
    [[nodiscard]] std::size_t received() const {
        const std::lock_guard lock(m_mutex);
        return m_events.size();
    }
    /// The `session:status` event whose state is `state`.
    [[nodiscard]] std::optional<SessionEvent> wait_for_state(const std::string& state) const {
        return wait_for("session:status",
                        [&](const SessionEvent& event) { return event.payload.value("state", "") == state; });
    }
    [[nodiscard]] int count(const std::string& type) const {
        const std::lock_guard lock(m_mutex);
        int found = 0;
        for (const auto& event : m_events) {
            found += event.type == type ? 1 : 0;
        }
        return found;
    }

private:
    std::optional<SessionEvent> first(const std::string& type, const Match& match, std::size_t from) const {
        for (std::size_t i = from; i < m_events.size(); ++i) {
            if (m_events[i].type == type && (!match || match(m_events[i]))) {
                return m_events[i];
            }
        }
        return std::nullopt;
    }

    std::uint64_t m_id;
    ClientInfo m_info;
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_delivered;
    std::vector<SessionEvent> m_events;
};

} // namespace atelier::sessions::testing
