// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/timer_queue.h"
#include "net/websocket.h"
#include "protocol/rpc_message.h"
#include "registry/registry.h"

namespace atelier::engines {

/// Who an engine is, from its `engine/hello` and its launch grant.
struct EngineInfo {
    std::string id;
    std::string kind;
    std::string version;
    std::string app_name;    ///< the application it drives ("Blender"), from hello's `app`; may be empty
    std::string app_version; ///< its version ("3.4.1"); may be empty
    std::string session_id;
    std::string instructions;
    int protocol = 1;
    std::chrono::system_clock::time_point connected_at;
};

/// A finished tool call: content blocks (text, image as base64 + MIME type), structured data and
/// the engine's scene summary when it sent one.
struct ToolCallResult {
    nlohmann::json content = nlohmann::json::array();
    nlohmann::json data;
    nlohmann::json scene;
    double duration_ms = 0;
    bool mutates = true; ///< from the manifest: a mutating call is followed by save + commit
};

using CallCallback = std::function<void(Result<ToolCallResult>)>;
using RequestCallback = std::function<void(Result<nlohmann::json>)>;

/// Follows what one engine does. Callbacks arrive on network or timer threads; keep them short.
class EngineObserver {
public:
    virtual ~EngineObserver() = default;
    virtual void on_registry(const std::shared_ptr<const registry::RegistrySnapshot>& /*snapshot*/) {}
    /// `scene/changed`, `render/progress`, `preview/error`, `log` and any other notification.
    virtual void on_notification(const std::string& /*method*/, const nlohmann::json& /*params*/) {}
    /// A viewport frame, header included, exactly as the engine sent it.
    virtual void on_frame(const std::string& /*frame*/) {}
    virtual void on_disconnected(const Error& /*reason*/) {}
};

/// One connected engine: its registry, its in-flight calls and what it reports. Every call is
/// validated here, before it reaches the engine; every call ends exactly once — with the
/// engine's answer, a timeout, a cancellation, or `engine_lost` when the connection drops.
/// Thread-safe.
class EngineLink : public std::enable_shared_from_this<EngineLink> {
public:
    EngineLink(EngineInfo info, std::shared_ptr<net::WebSocketConnection> connection, TimerQueue& timers,
               std::chrono::milliseconds default_timeout);
    ~EngineLink();
    EngineLink(const EngineLink&) = delete;
    EngineLink& operator=(const EngineLink&) = delete;

    [[nodiscard]] const EngineInfo& info() const { return m_info; }
    /// Mutating tool calls sent so far (whatever their outcome): the engine's state may differ
    /// from the last save when this moved.
    [[nodiscard]] std::uint64_t mutating_calls() const { return m_mutating_calls.load(); }
    [[nodiscard]] registry::Registry& tools() { return m_registry; }

    /// Runs tool `provider_name`. Invalid arguments and unknown tools fail at once (InvalidArgument
    /// with `details` = [{pointer, message}]; NotFound with `details` = the valid names). Returns
    /// the call id (the given one, or a new one) for cancel().
    std::string call(const std::string& provider_name, const nlohmann::json& arguments, CallCallback callback,
                     std::string call_id = {});
    /// Ends a call now with Cancelled and tells the engine (`$/cancel`). False if it already ended.
    bool cancel(const std::string& call_id);

    /// Any other request to the engine (project/save, viewport/configure, ...).
    void request(const std::string& method, nlohmann::json params, std::chrono::milliseconds timeout,
                 RequestCallback callback);
    void notify(const std::string& method, const nlohmann::json& params);
    /// Closes the connection (the link then reports itself disconnected).
    void close(std::uint16_t code, const std::string& reason);

    void add_observer(const std::shared_ptr<EngineObserver>& observer);
    void remove_observer(const EngineObserver* observer);

    /// For the directory: a message or frame from the engine, and the end of the connection.
    void handle(protocol::RpcMessage message);
    void handle_frame(std::string frame);
    void disconnected(const Error& reason);

    /// `{id, kind, version, protocol, session_id, registry_version, tools, manifest_errors, ...}`.
    [[nodiscard]] nlohmann::json describe() const;
    /// The last lines the engine logged or the hub logged about it.
    [[nodiscard]] std::vector<std::string> log_tail() const;
    [[nodiscard]] std::size_t in_flight() const;
    /// The summary of the engine's last `scene/changed` (null before the first).
    [[nodiscard]] nlohmann::json scene() const;
    /// The same; when none came yet, waits up to `wait` for the first (an engine reports its scene
    /// right after it connects, so an agent turn asked for just after session:ready sees it).
    /// Null when none came in time or the engine disconnected.
    [[nodiscard]] nlohmann::json scene(std::chrono::milliseconds wait) const;

private:
    struct Pending {
        std::string method;
        std::string call_id;
        RequestCallback callback;
        TimerQueue::TimerId timer = 0;
    };
    void send_request(std::int64_t id, const std::string& method, const nlohmann::json& params, Pending pending,
                      std::chrono::milliseconds timeout);
    /// Ends request `id` with Timeout (and tells the engine to stop, if it is a tool call).
    void expire(std::int64_t id, const std::string& method, std::chrono::milliseconds timeout);
    /// Removes and returns the pending request (empty callback if it had already ended).
    Pending take(std::int64_t id);
    void on_tools_update(const nlohmann::json& params);
    void log_line(std::string line);
    std::vector<std::shared_ptr<EngineObserver>> observers() const;

    EngineInfo m_info;
    std::shared_ptr<net::WebSocketConnection> m_connection;
    TimerQueue& m_timers;
    std::chrono::milliseconds m_default_timeout;
    registry::Registry m_registry;

    mutable std::mutex m_mutex;
    std::int64_t m_next_id = 1;
    std::atomic<std::uint64_t> m_mutating_calls{0};
    std::map<std::int64_t, Pending> m_pending;
    std::map<std::string, std::int64_t> m_calls; ///< call id → request id
    std::deque<std::string> m_log;
    std::vector<std::weak_ptr<EngineObserver>> m_observers;
    bool m_connected = true;
    nlohmann::json m_scene;
    mutable std::condition_variable m_scene_reported; ///< the first scene came, or the engine left
};

} // namespace atelier::engines
