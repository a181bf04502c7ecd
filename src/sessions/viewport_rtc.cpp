// SPDX-License-Identifier: Apache-2.0
// The hub's side of the WebRTC viewport: a supervised helper process and the signalling relay.
// Frames flow hub → helper only for sessions with viewers; the media itself never passes the hub.

#include "sessions/viewport_rtc.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "protocol/browser_envelope.h"
#include "protocol/frame_header.h"
#include "rtc/rtc_wire.h"

namespace atelier::sessions {
namespace {

bool is_state_that_ends(const std::string& state) {
    return state == "failed" || state == "closed";
}

} // namespace

std::optional<std::filesystem::path> find_rtc_helper(const std::string& configured) {
    std::error_code error;
    if (!configured.empty()) {
        return std::filesystem::is_regular_file(configured, error) ? std::optional<std::filesystem::path>(configured)
                                                                   : std::nullopt;
    }
    const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) {
        for (const auto& candidate : {self.parent_path() / "atelier-rtc"}) {
            if (std::filesystem::is_regular_file(candidate, error)) {
                return candidate;
            }
        }
    }
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::string_view rest = path;
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const auto candidate = std::filesystem::path(rest.substr(0, colon)) / "atelier-rtc";
            if (::access(candidate.c_str(), X_OK) == 0) {
                return candidate;
            }
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        }
    }
    return std::nullopt;
}

ViewportRtc::ViewportRtc(Options options, std::shared_ptr<engines::EngineLauncher> launcher)
    : m_options(std::move(options)), m_launcher(std::move(launcher)) {}

ViewportRtc::~ViewportRtc() {
    stop();
}

Result<void> ViewportRtc::start() {
    std::error_code ignored;
    std::filesystem::remove(m_options.socket, ignored);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const auto path = m_options.socket.string();
    if (path.size() >= sizeof address.sun_path) {
        return fail(ErrorCode::InvalidConfig, "the WebRTC helper's socket path is too long: " + path);
    }
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(m_listener, 1) != 0) {
        return fail(ErrorCode::Unavailable, "cannot listen on " + path + ": " + std::strerror(errno));
    }
    m_supervisor = std::thread([this] { supervise(); });
    m_writer = std::thread([this] { write_helper(); });
    return {};
}

void ViewportRtc::stop() {
    {
        const std::lock_guard lock(m_mutex);
        if (m_stopping) {
            return;
        }
        m_stopping = true;
        if (m_fd >= 0) {
            ::shutdown(m_fd, SHUT_RDWR);
        }
    }
    m_changed.notify_all();
    if (m_supervisor.joinable()) {
        m_supervisor.join();
    }
    if (m_writer.joinable()) {
        m_writer.join();
    }
    if (m_listener >= 0) {
        ::close(m_listener);
        std::error_code ignored;
        std::filesystem::remove(m_options.socket, ignored);
    }
}

void ViewportRtc::supervise() {
    int failures = 0;
    for (;;) {
        std::vector<std::string> command = {m_options.helper.string(), "--connect", m_options.socket.string(),
                                            "--bitrate-kbps", std::to_string(m_options.bitrate_kbps)};
        for (const auto& url : m_options.ice_servers) {
            command.insert(command.end(), {"--ice-server", url});
        }
        for (const auto& address : m_options.local_addresses) {
            command.insert(command.end(), {"--local-address", address});
        }
        if (m_options.frame_counter) {
            command.emplace_back("--frame-counter");
        }
        engines::LaunchSpec spec;
        spec.command = command;
        spec.workdir = m_options.socket.parent_path();
        spec.log_file = m_options.log_file;
        spec.on_exit = [this](const engines::ExitStatus&) { m_changed.notify_all(); };
        const auto started = std::chrono::steady_clock::now();
        auto process = m_launcher->launch(std::move(spec));
        std::string why;
        if (!process) {
            why = process.error().message;
        } else {
            const pid_t pid = (*process)->describe().pid.value_or(0);
            {
                const std::lock_guard lock(m_mutex);
                m_process = std::move(*process);
            }
            // The helper connects within moments; wait for it while it runs.
            int fd = -1;
            for (;;) {
                {
                    const std::lock_guard lock(m_mutex);
                    if (m_stopping || !m_process->running()) {
                        break;
                    }
                }
                pollfd ready{m_listener, POLLIN, 0};
                if (::poll(&ready, 1, 200) == 1) {
                    fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
                    break;
                }
            }
            if (fd >= 0) {
                spdlog::info("webrtc: helper {} connected", pid);
                {
                    const std::lock_guard lock(m_mutex);
                    if (m_stopping) {
                        // stop() ran between the accept and here: it could not shut this
                        // connection down, so the read below must not wait on it.
                        ::shutdown(fd, SHUT_RDWR);
                    }
                    m_fd = fd;
                }
                m_changed.notify_all();
                read_helper(fd);
                {
                    const std::lock_guard lock(m_mutex);
                    m_fd = -1;
                    m_frames.clear();
                    m_control.clear();
                }
                ::close(fd);
            }
            std::unique_ptr<engines::EngineProcess> ended;
            {
                const std::lock_guard lock(m_mutex);
                ended = std::move(m_process);
            }
            const auto status = ended->stop(std::chrono::milliseconds(1000));
            why = "the video helper stopped (" + status.describe() + ")";
        }
        fail_all(why);
        std::unique_lock lock(m_mutex);
        if (m_stopping) {
            return;
        }
        spdlog::warn("webrtc: {}; tabs use JPEG frames until it is back", why);
        failures = std::chrono::steady_clock::now() - started > std::chrono::seconds(30) ? 0 : failures + 1;
        const auto backoff = std::min(std::chrono::milliseconds(500L << std::min(failures, 8)), m_options.max_backoff);
        m_changed.wait_for(lock, backoff, [this] { return m_stopping; });
        if (m_stopping) {
            return;
        }
    }
}

void ViewportRtc::read_helper(int fd) {
    for (;;) {
        auto message = rtc::read_wire_message(fd);
        if (!message) {
            spdlog::info("webrtc: helper connection: {}", message.error().message);
            return;
        }
        from_helper(message->header);
    }
}

void ViewportRtc::write_helper() {
    for (;;) {
        std::vector<std::pair<nlohmann::json, std::string>> batch;
        int fd = -1;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock,
                           [this] { return m_stopping || (m_fd >= 0 && (!m_control.empty() || !m_frames.empty())); });
            if (m_stopping) {
                return;
            }
            fd = m_fd;
            // Signalling first (a viewer's start carries its first frame), then the newest frame of
            // each session: frames that arrive while one is written replace each other.
            while (!m_control.empty()) {
                batch.push_back(std::move(m_control.front()));
                m_control.pop_front();
            }
            for (auto& [session, frame] : m_frames) {
                auto header = protocol::decode_frame_header(frame);
                if (header && header->codec == protocol::FrameCodec::Jpeg) {
                    batch.emplace_back(nlohmann::json{{"op", "frame"}, {"session", session}, {"seq", header->seq}},
                                       frame.substr(protocol::kFrameHeaderSize));
                }
            }
            m_frames.clear();
        }
        for (const auto& [header, body] : batch) {
            if (auto written = rtc::write_wire_message(fd, header, body); !written) {
                break; // the reader sees the helper go and the supervisor relaunches it
            }
        }
    }
}

void ViewportRtc::enqueue(nlohmann::json header, std::string body) {
    {
        const std::lock_guard lock(m_mutex);
        m_control.emplace_back(std::move(header), std::move(body));
    }
    m_changed.notify_all();
}

void ViewportRtc::send(const Tab& tab, const std::string& type, const nlohmann::json& payload, const std::string& re) {
    send_event(tab, type, payload, re);
}

void ViewportRtc::handle(const std::string& type, const nlohmann::json& payload, const Tab& tab,
                         const std::string& session_id, const std::string& last_frame, const std::string& re) {
    const auto tab_id = tab->id();
    std::unique_lock lock(m_mutex);
    auto viewer = m_viewers.find(tab_id);
    if (type == "viewport:webrtc_start") {
        if (m_fd < 0) {
            lock.unlock();
            return send(tab, "viewport:webrtc_state",
                        {{"state", "unavailable"}, {"reason", "the video helper is not running; JPEG frames go on"}},
                        re);
        }
        if (viewer != m_viewers.end()) {
            m_control.emplace_back(nlohmann::json{{"op", "stop"}, {"viewer", viewer->second.id}}, std::string());
            m_viewers.erase(viewer);
        }
        nlohmann::json codecs = nlohmann::json::array();
        if (payload.contains("codecs") && payload["codecs"].is_array()) {
            for (const auto& codec : payload["codecs"]) {
                if (codec.is_string()) {
                    codecs.push_back(codec);
                }
            }
        }
        Viewer added{"t" + std::to_string(tab_id) + "-" + std::to_string(m_next_viewer++), session_id, tab, re, false};
        if (auto header = protocol::decode_frame_header(last_frame);
            header && header->codec == protocol::FrameCodec::Jpeg) {
            m_control.emplace_back(nlohmann::json{{"op", "frame"}, {"session", session_id}, {"seq", header->seq}},
                                   last_frame.substr(protocol::kFrameHeaderSize));
        }
        m_control.emplace_back(
            nlohmann::json{{"op", "start"}, {"session", session_id}, {"viewer", added.id}, {"codecs", codecs}},
            std::string());
        m_viewers[tab_id] = std::move(added);
        lock.unlock();
        m_changed.notify_all();
        return;
    }
    if (viewer == m_viewers.end()) {
        lock.unlock();
        return send(tab, "error",
                    {{"code", "invalid_argument"},
                     {"message", type + ": this tab has no WebRTC viewer (send "
                                        "viewport:webrtc_start first)"}},
                    re);
    }
    const auto viewer_id = viewer->second.id;
    if (type == "viewport:webrtc_answer") {
        if (!payload.contains("sdp") || !payload["sdp"].is_string()) {
            lock.unlock();
            return send(tab, "error", {{"code", "invalid_argument"}, {"message", "payload.sdp: a string is required"}},
                        re);
        }
        m_control.emplace_back(nlohmann::json{{"op", "answer"}, {"viewer", viewer_id}, {"sdp", payload["sdp"]}},
                               std::string());
    } else if (type == "viewport:webrtc_ice") {
        const auto& candidate = payload.contains("candidate") ? payload["candidate"] : nlohmann::json();
        // The browser's RTCIceCandidate as JSON, or just its candidate line.
        const auto line = candidate.is_object() ? candidate.value("candidate", std::string())
                                                : (candidate.is_string() ? candidate.get<std::string>() : "");
        const auto mline =
            candidate.is_object() ? candidate.value("sdpMLineIndex", 0) : payload.value("sdpMLineIndex", 0);
        m_control.emplace_back(
            nlohmann::json{{"op", "ice"}, {"viewer", viewer_id}, {"candidate", line}, {"sdpMLineIndex", mline}},
            std::string());
    } else if (type == "viewport:webrtc_stop") {
        m_control.emplace_back(nlohmann::json{{"op", "stop"}, {"viewer", viewer_id}}, std::string());
        m_viewers.erase(viewer);
        lock.unlock();
        m_changed.notify_all();
        return send(tab, "ack", nlohmann::json::object(), re);
    } else {
        lock.unlock();
        return send(tab, "error",
                    {{"code", "invalid_argument"},
                     {"message", "unknown message type '" + type +
                                     "' (known: viewport:webrtc_start, webrtc_answer, webrtc_ice, webrtc_stop)"}},
                    re);
    }
    lock.unlock();
    m_changed.notify_all();
}

void ViewportRtc::from_helper(const nlohmann::json& header) {
    const auto op = header.value("op", std::string());
    const auto viewer_id = header.value("viewer", std::string());
    if (op == "hello") {
        spdlog::info("webrtc: helper ready, codecs {}", header.value("codecs", nlohmann::json::array()).dump());
        return;
    }
    std::unique_lock lock(m_mutex);
    auto viewer = m_viewers.begin();
    while (viewer != m_viewers.end() && viewer->second.id != viewer_id) {
        ++viewer;
    }
    if (viewer == m_viewers.end()) {
        if (op == "error") {
            spdlog::warn("webrtc: helper: {}", header.value("message", std::string()));
        }
        return; // a viewer that already left
    }
    auto tab = viewer->second.tab.lock();
    if (!tab) {
        return;
    }
    if (op == "offer") {
        nlohmann::json servers = nlohmann::json::array();
        for (const auto& url : m_options.ice_servers) {
            // "turn:user:password@host:port" → {urls, username, credential}, as RTCPeerConnection takes it.
            const auto at = url.find('@');
            const auto scheme_end = url.find(':');
            if (at != std::string::npos && scheme_end < at) {
                const auto credentials = url.substr(scheme_end + 1, at - scheme_end - 1);
                const auto colon = credentials.find(':');
                servers.push_back({{"urls", url.substr(0, scheme_end + 1) + url.substr(at + 1)},
                                   {"username", credentials.substr(0, colon)},
                                   {"credential", colon == std::string::npos ? "" : credentials.substr(colon + 1)}});
            } else {
                servers.push_back({{"urls", url}});
            }
        }
        const auto re = viewer->second.re;
        lock.unlock();
        return send(tab, "viewport:webrtc_offer",
                    {{"sdp", header.value("sdp", std::string())}, {"ice_servers", servers}}, re);
    }
    if (op == "ice") {
        lock.unlock();
        return send(tab, "viewport:webrtc_ice",
                    {{"candidate", header.value("candidate", std::string())},
                     {"sdpMLineIndex", header.value("sdpMLineIndex", 0)}});
    }
    if (op == "state" || op == "error") {
        const auto state = op == "error" ? std::string("failed") : header.value("state", std::string());
        const auto reason = header.value(op == "error" ? "message" : "reason", std::string());
        viewer->second.delivering = state == "connected";
        if (is_state_that_ends(state)) {
            m_viewers.erase(viewer);
        }
        lock.unlock();
        nlohmann::json payload{{"state", state}};
        if (!reason.empty()) {
            payload["reason"] = reason;
        }
        return send(tab, "viewport:webrtc_state", payload);
    }
}

void ViewportRtc::fail_all(const std::string& reason) {
    std::map<std::uint64_t, Viewer> viewers;
    {
        const std::lock_guard lock(m_mutex);
        viewers.swap(m_viewers);
    }
    for (const auto& [tab_id, viewer] : viewers) {
        if (auto tab = viewer.tab.lock()) {
            send(tab, "viewport:webrtc_state", {{"state", "failed"}, {"reason", reason}});
        }
    }
}

void ViewportRtc::frame(const std::string& session_id, const std::string& frame) {
    {
        const std::lock_guard lock(m_mutex);
        if (m_fd < 0) {
            return;
        }
        bool watched = false;
        for (const auto& [tab_id, viewer] : m_viewers) {
            watched = watched || viewer.session == session_id;
        }
        if (!watched) {
            return;
        }
        m_frames[session_id] = frame;
    }
    m_changed.notify_all();
}

bool ViewportRtc::delivering(std::uint64_t tab_id) const {
    const std::lock_guard lock(m_mutex);
    auto viewer = m_viewers.find(tab_id);
    return viewer != m_viewers.end() && viewer->second.delivering;
}

void ViewportRtc::tab_closed(std::uint64_t tab_id) {
    {
        const std::lock_guard lock(m_mutex);
        auto viewer = m_viewers.find(tab_id);
        if (viewer == m_viewers.end()) {
            return;
        }
        m_control.emplace_back(nlohmann::json{{"op", "stop"}, {"viewer", viewer->second.id}}, std::string());
        m_viewers.erase(viewer);
    }
    m_changed.notify_all();
}

void ViewportRtc::session_ended(const std::string& session_id) {
    {
        const std::lock_guard lock(m_mutex);
        std::erase_if(m_viewers, [&](const auto& entry) { return entry.second.session == session_id; });
        m_control.emplace_back(nlohmann::json{{"op", "end"}, {"session", session_id}}, std::string());
    }
    m_changed.notify_all();
}

pid_t ViewportRtc::helper_pid() const {
    const std::lock_guard lock(m_mutex);
    return m_process && m_process->running() ? m_process->describe().pid.value_or(0) : 0;
}

} // namespace atelier::sessions
