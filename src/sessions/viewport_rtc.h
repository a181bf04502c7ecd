// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engines/engine_launcher.h"
#include "net/websocket.h"

#include "sessions/session_client.h"

namespace atelier::sessions {

/// The browser side of the WebRTC viewport (docs/viewport.md): supervises the `atelier-rtc` helper
/// like an engine (launch, relaunch with backoff, a crash turns every tab back to JPEG), feeds it
/// the frames of sessions that have WebRTC viewers, and relays each tab's signalling
/// (`viewport:webrtc_*`) to it and back. One viewer per tab.
///
/// Thread-safety: every public member may be called from any thread. Nothing blocks on the
/// helper: messages to it queue (frames latest-wins per session) for a writer thread.
class ViewportRtc {
public:
    using Tab = std::shared_ptr<SessionClient>;

    struct Options {
        std::filesystem::path helper;         ///< the atelier-rtc binary
        std::filesystem::path socket;         ///< the Unix socket the hub listens on for it
        std::filesystem::path log_file;       ///< the helper's stdout/stderr
        std::vector<std::string> ice_servers; ///< browser-form STUN/TURN URLs, also sent to tabs
        std::int64_t bitrate_kbps = 1500;
        bool frame_counter = false;
        std::vector<std::string> local_addresses; ///< empty: the helper takes every interface's
        std::chrono::milliseconds max_backoff{10'000};
    };

    ViewportRtc(Options options, std::shared_ptr<engines::EngineLauncher> launcher);
    ~ViewportRtc();
    ViewportRtc(const ViewportRtc&) = delete;
    ViewportRtc& operator=(const ViewportRtc&) = delete;

    /// Listens on the socket and launches the helper; fails when the socket cannot be made. A helper
    /// that cannot start is retried in the background (tabs get `unavailable` meanwhile).
    [[nodiscard]] Result<void> start();
    /// Stops the helper and the threads. Idempotent.
    void stop();

    /// A `viewport:webrtc_*` message from `tab` about `session_id`; `last_frame` is the session's
    /// latest viewport frame (header included), which a new viewer is started with.
    void handle(const std::string& type, const nlohmann::json& payload, const Tab& tab, const std::string& session_id,
                const std::string& last_frame, const std::string& re);
    /// A viewport frame (16-byte header + JPEG) of a session: passed on when it has viewers.
    void frame(const std::string& session_id, const std::string& frame);
    /// Whether the tab gets its viewport as video now: the hub then sends it no JPEG frames.
    [[nodiscard]] bool delivering(std::uint64_t tab_id) const;
    /// The tab closed: its viewer stops.
    void tab_closed(std::uint64_t tab_id);
    /// The session ended: its pipeline goes.
    void session_ended(const std::string& session_id);
    /// The helper's process id while it runs (tests kill it), else 0.
    [[nodiscard]] pid_t helper_pid() const;

private:
    struct Viewer {
        std::string id;
        std::string session;
        std::weak_ptr<SessionClient> tab;
        std::string re; ///< the webrtc_start request the offer answers
        bool delivering = false;
    };
    void supervise();
    void read_helper(int fd);
    void write_helper();
    void enqueue(nlohmann::json header, std::string body = {});
    void from_helper(const nlohmann::json& header);
    void fail_all(const std::string& reason);
    static void send(const Tab& tab, const std::string& type, const nlohmann::json& payload,
                     const std::string& re = {});

    Options m_options;
    std::shared_ptr<engines::EngineLauncher> m_launcher;
    int m_listener = -1;

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_stopping = false;
    int m_fd = -1; ///< the helper's connection; -1 while it is down
    std::unique_ptr<engines::EngineProcess> m_process;
    std::map<std::uint64_t, Viewer> m_viewers;   ///< by tab id
    std::map<std::string, std::string> m_frames; ///< session → the frame waiting to be written
    std::deque<std::pair<nlohmann::json, std::string>> m_control;
    std::uint64_t m_next_viewer = 1;
    std::thread m_supervisor;
    std::thread m_writer;
};

/// The atelier-rtc binary to run: `configured` when set, else beside the running hub, else on PATH;
/// nullopt when none is found.
[[nodiscard]] std::optional<std::filesystem::path> find_rtc_helper(const std::string& configured);

} // namespace atelier::sessions
