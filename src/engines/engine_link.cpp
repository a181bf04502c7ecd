// SPDX-License-Identifier: Apache-2.0
#include "engines/engine_link.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/rpc_codes.h"

namespace atelier::engines {
namespace {

constexpr std::size_t kLogLines = 200;

std::chrono::milliseconds seconds_to_ms(double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

Error engine_error(const protocol::RpcError& error) {
    Error out{protocol::error_code_for_rpc(error.code), error.message};
    if (error.data) {
        out.details = error.data->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return out;
}

} // namespace

EngineLink::EngineLink(EngineInfo info, std::shared_ptr<net::WebSocketConnection> connection, TimerQueue& timers,
                       std::chrono::milliseconds default_timeout)
    : m_info(std::move(info)), m_connection(std::move(connection)), m_timers(timers),
      m_default_timeout(default_timeout) {}

EngineLink::~EngineLink() {
    // Timers hold weak references; nothing else to undo.
}

std::string EngineLink::call(const std::string& provider_name, const nlohmann::json& arguments, CallCallback callback,
                             std::string call_id) {
    const auto snapshot = m_registry.snapshot();
    const auto tool = snapshot->find(provider_name);
    if (!tool) {
        const auto names = snapshot->tool_names();
        std::string list;
        for (const auto& name : names) {
            list += (list.empty() ? "" : ", ") + name;
        }
        callback(fail(Error{
            ErrorCode::NotFound,
            fmt::format("unknown tool '{}'; valid tools are: {}", provider_name, list.empty() ? "(none yet)" : list),
            nlohmann::json(names).dump()}));
        return call_id;
    }
    const auto problems = tool->validate(arguments.is_null() ? nlohmann::json::object() : arguments);
    if (!problems.empty()) {
        callback(fail(Error{ErrorCode::InvalidArgument,
                            fmt::format("invalid arguments for {}: {}; fix the arguments and try again", provider_name,
                                        registry::describe(problems)),
                            registry::to_json(problems).dump()}));
        return call_id;
    }

    std::int64_t id = 0;
    {
        const std::lock_guard lock(m_mutex);
        id = m_next_id++;
    }
    if (call_id.empty()) {
        call_id = fmt::format("{}-{}", m_info.id.substr(0, 8), id);
    }
    const auto started = std::chrono::steady_clock::now();
    const bool mutates = tool->spec.mutates;
    if (mutates) {
        ++m_mutating_calls;
    }
    const auto timeout = tool->spec.timeout_s ? seconds_to_ms(*tool->spec.timeout_s) : m_default_timeout;
    Pending pending;
    pending.method = "tools/call";
    pending.call_id = call_id;
    pending.callback = [callback = std::move(callback), started, mutates](Result<nlohmann::json> reply) {
        if (!reply) {
            return callback(fail(std::move(reply).error()));
        }
        ToolCallResult result;
        if (reply->is_object()) {
            result.content = reply->value("content", nlohmann::json::array());
            result.data = reply->value("data", nlohmann::json());
            result.scene = reply->value("scene", nlohmann::json());
        }
        result.duration_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        result.mutates = mutates;
        callback(std::move(result));
    };
    const nlohmann::json params{{"tool", tool->addon_id + "__" + tool->spec.name},
                                {"addon", tool->addon_id},
                                {"name", tool->spec.name},
                                {"arguments", arguments.is_null() ? nlohmann::json::object() : arguments},
                                {"call_id", call_id}};
    send_request(id, "tools/call", params, std::move(pending), timeout);
    return call_id;
}

void EngineLink::request(const std::string& method, nlohmann::json params, std::chrono::milliseconds timeout,
                         RequestCallback callback) {
    std::int64_t id = 0;
    {
        const std::lock_guard lock(m_mutex);
        id = m_next_id++;
    }
    Pending pending;
    pending.method = method;
    pending.callback = std::move(callback);
    send_request(id, method, params, std::move(pending), timeout);
}

void EngineLink::send_request(std::int64_t id, const std::string& method, const nlohmann::json& params, Pending pending,
                              std::chrono::milliseconds timeout) {
    bool connected = false;
    {
        const std::lock_guard lock(m_mutex);
        connected = m_connected;
        if (connected) {
            std::weak_ptr<EngineLink> weak = weak_from_this();
            pending.timer = m_timers.schedule(timeout, [weak, id, timeout, method] {
                if (auto self = weak.lock()) {
                    self->expire(id, method, timeout);
                }
            });
            if (!pending.call_id.empty()) {
                m_calls[pending.call_id] = id;
            }
            m_pending.emplace(id, std::move(pending));
        }
    }
    if (!connected) {
        pending.callback(fail(ErrorCode::EngineLost, fmt::format("engine {} is disconnected", m_info.id)));
        return;
    }
    m_connection->send_text(protocol::serialize_request(protocol::RpcId{id}, method, params));
}

void EngineLink::expire(std::int64_t id, const std::string& method, std::chrono::milliseconds timeout) {
    auto expired = take(id);
    if (!expired.callback) {
        return;
    }
    if (!expired.call_id.empty()) {
        notify("$/cancel", {{"call_id", expired.call_id}});
    }
    log_line(fmt::format("{} {} timed out after {} ms", method, expired.call_id, timeout.count()));
    expired.callback(
        fail(ErrorCode::Timeout, fmt::format("{} {} did not finish within {:.1f} s", method, expired.call_id,
                                             static_cast<double>(timeout.count()) / 1000.0)));
}

EngineLink::Pending EngineLink::take(std::int64_t id) {
    const std::lock_guard lock(m_mutex);
    const auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        return {};
    }
    Pending pending = std::move(it->second);
    m_pending.erase(it);
    if (!pending.call_id.empty()) {
        m_calls.erase(pending.call_id);
    }
    m_timers.cancel(pending.timer);
    return pending;
}

bool EngineLink::cancel(const std::string& call_id) {
    std::int64_t id = 0;
    {
        const std::lock_guard lock(m_mutex);
        const auto it = m_calls.find(call_id);
        if (it == m_calls.end()) {
            return false;
        }
        id = it->second;
    }
    auto pending = take(id);
    if (!pending.callback) {
        return false;
    }
    notify("$/cancel", {{"call_id", call_id}});
    pending.callback(fail(ErrorCode::Cancelled, fmt::format("call {} was cancelled", call_id)));
    return true;
}

void EngineLink::notify(const std::string& method, const nlohmann::json& params) {
    m_connection->send_text(protocol::serialize_notification(method, params));
}

void EngineLink::close(std::uint16_t code, const std::string& reason) {
    m_connection->close(code, reason);
}

void EngineLink::handle(protocol::RpcMessage message) {
    if (auto* response = std::get_if<protocol::RpcResponse>(&message)) {
        const auto* id = std::get_if<std::int64_t>(&response->id);
        auto pending = id != nullptr ? take(*id) : Pending{};
        if (!pending.callback) {
            // A late answer to a call that timed out or was cancelled.
            spdlog::debug("engine {}: answer to finished request {}", m_info.id,
                          protocol::rpc_id_to_string(response->id));
            return;
        }
        if (response->is_error()) {
            return pending.callback(fail(engine_error(response->error())));
        }
        return pending.callback(response->result());
    }
    if (auto* request = std::get_if<protocol::RpcRequest>(&message)) {
        m_connection->send_text(protocol::serialize_error(
            request->id, {protocol::rpc_code::kMethodNotFound,
                          fmt::format("the hub has no method '{}' for engines", request->method), std::nullopt}));
        return;
    }
    auto& notification = std::get<protocol::RpcNotification>(message);
    if (notification.method == "tools/update") {
        return on_tools_update(notification.params);
    }
    if (notification.method == "log") {
        const auto& params = notification.params;
        const std::string text = params.is_object() ? params.value("message", params.dump()) : params.dump();
        log_line(text);
        spdlog::info("engine {} ({}): {}", m_info.id.substr(0, 8), m_info.kind, text);
    } else if (notification.method == "scene/changed") {
        {
            const std::lock_guard lock(m_mutex);
            m_scene = notification.params.is_object() ? notification.params.value("summary", notification.params)
                                                      : notification.params;
        }
        m_scene_reported.notify_all();
    }
    for (const auto& observer : observers()) {
        observer->on_notification(notification.method, notification.params);
    }
}

void EngineLink::on_tools_update(const nlohmann::json& params) {
    const auto& addons = params.is_object() && params.contains("addons") ? params["addons"] : params;
    auto outcome = m_registry.update(addons);
    if (!outcome) {
        log_line("tools/update refused: " + outcome.error().message);
        spdlog::warn("engine {}: tools/update refused: {}", m_info.id.substr(0, 8), outcome.error().message);
        return;
    }
    for (const auto& rejected : outcome->rejected) {
        const std::string line =
            fmt::format("manifest {} (#{}) rejected: {}", rejected.addon_id.empty() ? "?" : rejected.addon_id,
                        rejected.index, registry::describe(rejected.errors));
        log_line(line);
        spdlog::warn("engine {} ({}): {}", m_info.id.substr(0, 8), m_info.kind, line);
    }
    if (!outcome->changed) {
        return;
    }
    spdlog::info("engine {} ({}): registry version {}, {} addon(s), {} rejected", m_info.id.substr(0, 8), m_info.kind,
                 outcome->version, outcome->accepted, outcome->rejected.size());
    const auto snapshot = m_registry.snapshot();
    for (const auto& observer : observers()) {
        observer->on_registry(snapshot);
    }
}

void EngineLink::handle_frame(std::string frame) {
    for (const auto& observer : observers()) {
        observer->on_frame(frame);
    }
}

void EngineLink::disconnected(const Error& reason) {
    std::map<std::int64_t, Pending> pending;
    {
        const std::lock_guard lock(m_mutex);
        m_connected = false;
        pending.swap(m_pending);
        m_calls.clear();
    }
    m_scene_reported.notify_all(); // nobody waits for a scene that will not come
    for (auto& [id, request] : pending) {
        m_timers.cancel(request.timer);
        request.callback(fail(ErrorCode::EngineLost, fmt::format("the engine disconnected during {} {}: {}",
                                                                 request.method, request.call_id, reason.message)));
    }
    for (const auto& observer : observers()) {
        observer->on_disconnected(reason);
    }
}

void EngineLink::add_observer(const std::shared_ptr<EngineObserver>& observer) {
    const std::lock_guard lock(m_mutex);
    m_observers.push_back(observer);
}

void EngineLink::remove_observer(const EngineObserver* observer) {
    const std::lock_guard lock(m_mutex);
    std::erase_if(m_observers, [observer](const auto& weak) {
        auto strong = weak.lock();
        return !strong || strong.get() == observer;
    });
}

std::vector<std::shared_ptr<EngineObserver>> EngineLink::observers() const {
    const std::lock_guard lock(m_mutex);
    std::vector<std::shared_ptr<EngineObserver>> out;
    for (const auto& weak : m_observers) {
        if (auto observer = weak.lock()) {
            out.push_back(std::move(observer));
        }
    }
    return out;
}

void EngineLink::log_line(std::string line) {
    const std::lock_guard lock(m_mutex);
    m_log.push_back(std::move(line));
    while (m_log.size() > kLogLines) {
        m_log.pop_front();
    }
}

std::vector<std::string> EngineLink::log_tail() const {
    const std::lock_guard lock(m_mutex);
    return {m_log.begin(), m_log.end()};
}

std::size_t EngineLink::in_flight() const {
    const std::lock_guard lock(m_mutex);
    return m_pending.size();
}

nlohmann::json EngineLink::scene() const {
    const std::lock_guard lock(m_mutex);
    return m_scene;
}

nlohmann::json EngineLink::scene(std::chrono::milliseconds wait) const {
    std::unique_lock lock(m_mutex);
    m_scene_reported.wait_for(lock, wait, [this] { return !m_scene.is_null() || !m_connected; });
    return m_scene;
}

nlohmann::json EngineLink::describe() const {
    const auto snapshot = m_registry.snapshot();
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& rejected : snapshot->rejected) {
        errors.push_back(rejected.to_json());
    }
    nlohmann::json addons = nlohmann::json::array();
    for (const auto& addon : snapshot->addons) {
        addons.push_back({{"id", addon.info.id}, {"name", addon.info.name}, {"tools", addon.tool_names.size()}});
    }
    const auto connected =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_info.connected_at.time_since_epoch());
    return {{"id", m_info.id},
            {"kind", m_info.kind},
            {"version", m_info.version},
            {"protocol", m_info.protocol},
            {"session_id", m_info.session_id},
            {"connected_at_ms", connected.count()},
            {"registry_version", snapshot->version},
            {"tools", snapshot->tools.size()},
            {"addons", addons},
            {"manifest_errors", errors},
            {"in_flight", in_flight()}};
}

} // namespace atelier::engines
