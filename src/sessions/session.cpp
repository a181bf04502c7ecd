// SPDX-License-Identifier: Apache-2.0
#include "sessions/session.h"

#include <algorithm>

namespace atelier::sessions {

const char* state_name(SessionState state) {
    switch (state) {
    case SessionState::Starting:
        return "starting";
    case SessionState::Ready:
        return "ready";
    case SessionState::Busy:
        return "busy";
    case SessionState::Detached:
        return "detached";
    case SessionState::Reconnecting:
        return "reconnecting";
    case SessionState::Lost:
        return "lost";
    case SessionState::Ending:
        return "ending";
    case SessionState::Ended:
        return "ended";
    }
    return "unknown";
}

Session::Session(std::string session_id, std::string owner_id, std::string project, std::string engine_kind,
                 std::filesystem::path tree, std::filesystem::path log)
    : id(std::move(session_id)), user_id(std::move(owner_id)), project_id(std::move(project)),
      kind(std::move(engine_kind)), workdir(std::move(tree)), log_file(std::move(log)) {}

SessionState Session::state() const {
    const std::lock_guard lock(m_mutex);
    return m_state;
}

int Session::set_state(SessionState state) {
    const std::lock_guard lock(m_mutex);
    m_state = state;
    return m_attempt;
}

bool Session::accepting() const {
    const std::lock_guard lock(m_mutex);
    return m_state != SessionState::Ending && m_state != SessionState::Ended;
}

bool Session::over() const {
    return !accepting();
}

std::optional<SessionState> Session::busy_transition(bool busy) const {
    const std::lock_guard lock(m_mutex);
    if (busy) {
        if (m_state != SessionState::Ready && m_state != SessionState::Detached) {
            return std::nullopt;
        }
        return SessionState::Busy;
    }
    if (m_state != SessionState::Busy) {
        return std::nullopt;
    }
    return m_clients.empty() ? SessionState::Detached : SessionState::Ready;
}

std::size_t Session::add_client(const Client& client, const ClientInfo& info) {
    const std::lock_guard lock(m_mutex);
    m_clients[client->id()] = client;
    m_client_infos[client->id()] = info;
    return m_clients.size();
}

Session::Joined Session::join(const Client& client, const ClientInfo& info) {
    const std::lock_guard lock(m_mutex);
    Joined joined;
    joined.grace_timer = std::exchange(m_grace_timer, 0);
    m_clients[client->id()] = client;
    m_client_infos[client->id()] = info;
    if (m_state == SessionState::Detached) {
        m_state = m_link ? SessionState::Ready : SessionState::Starting;
    }
    joined.state = m_state;
    joined.link = m_link;
    joined.clients = m_client_infos.size();
    return joined;
}

std::size_t Session::remove_client(std::uint64_t client_id) {
    const std::lock_guard lock(m_mutex);
    m_clients.erase(client_id);
    m_client_infos.erase(client_id);
    return m_clients.size();
}

bool Session::has_clients() const {
    const std::lock_guard lock(m_mutex);
    return !m_clients.empty();
}

std::vector<Session::Client> Session::clients(const Client& except) const {
    std::vector<Client> alive;
    const std::lock_guard lock(m_mutex);
    for (const auto& [id_of, weak] : m_clients) {
        if (auto client = weak.lock(); client && client != except) {
            alive.push_back(std::move(client));
        }
    }
    return alive;
}

std::vector<std::pair<std::uint64_t, ClientInfo>> Session::client_infos() const {
    const std::lock_guard lock(m_mutex);
    return {m_client_infos.begin(), m_client_infos.end()};
}

ClientInfo Session::client_info(std::uint64_t client_id) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_client_infos.find(client_id);
    return it == m_client_infos.end() ? ClientInfo{} : it->second;
}

bool Session::begin_grace() {
    const std::lock_guard lock(m_mutex);
    if (!m_clients.empty() || m_state == SessionState::Ending || m_state == SessionState::Ended) {
        return false;
    }
    if (m_state == SessionState::Ready) { // a busy session stays busy; its turn ends it
        m_state = SessionState::Detached;
    }
    return true;
}

void Session::set_grace_timer(Timers::TimerId timer) {
    const std::lock_guard lock(m_mutex);
    m_grace_timer = timer;
}

bool Session::begin_ending(Timers::TimerId& grace_timer) {
    const std::lock_guard lock(m_mutex);
    if (m_state == SessionState::Ending || m_state == SessionState::Ended) {
        return false;
    }
    m_state = SessionState::Ending;
    grace_timer = std::exchange(m_grace_timer, 0);
    return true;
}

bool Session::queue_after_end(std::function<void()> start, bool& ended) {
    const std::lock_guard lock(m_mutex);
    ended = m_state == SessionState::Ended;
    if (m_state != SessionState::Ending) {
        return false;
    }
    m_after_end.push_back(std::move(start));
    return true;
}

std::vector<std::function<void()>> Session::take_after_end() {
    const std::lock_guard lock(m_mutex);
    return std::exchange(m_after_end, {});
}

std::shared_ptr<engines::EngineLink> Session::link() const {
    const std::lock_guard lock(m_mutex);
    return m_link;
}

std::uint64_t Session::generation() const {
    const std::lock_guard lock(m_mutex);
    return m_generation;
}

std::uint64_t Session::install_process(std::unique_ptr<engines::RunningEngine> process, EngineOrigin origin) {
    const std::lock_guard lock(m_mutex);
    m_process = std::move(process);
    m_opening = origin == EngineOrigin::Pooled; // session:ready waits for project/open
    return ++m_generation;
}

void Session::opened() {
    const std::lock_guard lock(m_mutex);
    m_opening = false;
}

std::shared_ptr<engines::EngineObserver>
Session::bind(const std::shared_ptr<engines::EngineLink>& link,
              const std::function<std::shared_ptr<engines::EngineObserver>(std::uint64_t)>& make_observer) {
    const std::lock_guard lock(m_mutex);
    m_link = link;
    m_ready_sent = false;
    m_observer = make_observer(m_generation);
    return m_observer;
}

std::shared_ptr<engines::EngineLink> Session::mark_ready() {
    const std::lock_guard lock(m_mutex);
    if (m_ready_sent || !m_link || m_opening) {
        return nullptr;
    }
    m_ready_sent = true;
    m_state = m_clients.empty() ? SessionState::Detached : SessionState::Ready;
    return m_link;
}

std::optional<Session::Lost> Session::lose_engine(std::uint64_t generation_lost) {
    const std::lock_guard lock(m_mutex);
    if (generation_lost != m_generation || m_state == SessionState::Ending || m_state == SessionState::Ended ||
        m_state == SessionState::Lost) {
        return std::nullopt; // already handled (exit and disconnect both report), or on purpose
    }
    ++m_generation; // later reports about this engine are stale
    Lost lost;
    lost.link = std::move(m_link);
    lost.observer = std::move(m_observer);
    lost.process = std::move(m_process);
    m_link.reset();
    m_observer.reset();
    m_preview_port = 0; // the next engine announces its own
    lost.attempt = ++m_attempt;
    return lost;
}

void Session::engine_worked() {
    const std::lock_guard lock(m_mutex);
    m_attempt = 0;
}

std::optional<std::uint64_t> Session::awaiting_relaunch() const {
    const std::lock_guard lock(m_mutex);
    if (m_state != SessionState::Reconnecting) {
        return std::nullopt;
    }
    return m_generation;
}

Session::Released Session::release_engine() {
    const std::lock_guard lock(m_mutex);
    ++m_generation; // the exit that follows is on purpose
    Released released{std::move(m_process), std::move(m_link)};
    m_process.reset();
    m_link.reset();
    return released;
}

std::pair<std::string, int> Session::engine_ids() const {
    const std::lock_guard lock(m_mutex);
    return {m_link ? m_link->info().id : std::string(), m_process ? m_process->pid() : 0};
}

void Session::set_scene(nlohmann::json scene) {
    const std::lock_guard lock(m_mutex);
    m_scene = std::move(scene);
}

nlohmann::json Session::scene() const {
    const std::lock_guard lock(m_mutex);
    return m_scene;
}

void Session::set_frame(std::string frame) {
    const std::lock_guard lock(m_mutex);
    m_frame = std::move(frame);
}

std::string Session::frame() const {
    const std::lock_guard lock(m_mutex);
    return m_frame;
}

void Session::set_preview_port(std::uint16_t port) {
    const std::lock_guard lock(m_mutex);
    m_preview_port = port;
}

std::uint16_t Session::preview_port() const {
    const std::lock_guard lock(m_mutex);
    return m_preview_port;
}

std::string Session::preview_host() const {
    const std::lock_guard lock(m_mutex);
    return m_process ? m_process->preview_host() : "127.0.0.1";
}

std::string Session::base() const {
    const std::lock_guard lock(m_mutex);
    return m_base;
}

void Session::set_base(std::string revision) {
    const std::lock_guard lock(m_mutex);
    m_base = std::move(revision);
}

int Session::next_conflict() {
    const std::lock_guard lock(m_mutex);
    return ++m_conflicts;
}

bool Session::unsaved_changes() const {
    const std::lock_guard lock(m_mutex);
    return m_link && m_link->mutating_calls() != m_saved_calls;
}

void Session::saved(std::uint64_t mutating_calls) {
    const std::lock_guard lock(m_mutex);
    m_saved_calls = std::max(m_saved_calls, mutating_calls);
}

bool Session::push_operation(Operation operation) {
    const std::lock_guard lock(m_mutex);
    m_operations.push_back(std::move(operation));
    if (m_operation_running) {
        return false; // the running one's `next` starts it
    }
    m_operation_running = true;
    return true;
}

std::optional<Session::Operation> Session::next_operation() {
    const std::lock_guard lock(m_mutex);
    if (m_operations.empty()) {
        m_operation_running = false;
        return std::nullopt;
    }
    auto operation = std::move(m_operations.front());
    m_operations.pop_front();
    return operation;
}

void Session::track_call(const std::string& call_id, nlohmann::json tags, std::uint64_t client_id) {
    const std::lock_guard lock(m_mutex);
    m_calls[call_id] = CallOwner{client_id, std::move(tags)};
}

void Session::untrack_call(const std::string& call_id) {
    const std::lock_guard lock(m_mutex);
    m_calls.erase(call_id);
}

nlohmann::json Session::call_tags(const std::string& call_id) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_calls.find(call_id);
    return it == m_calls.end() ? nlohmann::json() : it->second.tags;
}

bool Session::call_cancelled(const std::string& call_id) const {
    const std::lock_guard lock(m_mutex);
    const auto it = m_calls.find(call_id);
    return it == m_calls.end() || it->second.cancelled;
}

bool Session::cancel_call(const std::string& call_id) {
    const std::lock_guard lock(m_mutex);
    const auto it = m_calls.find(call_id);
    if (it == m_calls.end()) {
        return false;
    }
    it->second.cancelled = true; // still queued: it never runs
    return true;
}

std::string Session::cancel_request(std::uint64_t client_id, const std::string& request_id) {
    const std::lock_guard lock(m_mutex);
    std::string call_id;
    for (auto& [id_of, owner] : m_calls) {
        // Request ids are chosen by each client: only this client's command of that id.
        if (owner.client_id == client_id && owner.tags.value("request_id", "") == request_id) {
            call_id = id_of;
            owner.cancelled = true; // a command still waiting for its turn never runs
        }
    }
    return call_id;
}

} // namespace atelier::sessions
