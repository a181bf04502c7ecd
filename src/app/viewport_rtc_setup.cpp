#include "app/viewport_rtc_setup.h"

#include <filesystem>

#include <spdlog/spdlog.h>

namespace atelier::app {

std::shared_ptr<sessions::ViewportRtc> start_viewport_rtc(const Config& config) {
    if (!config.webrtc_enabled) {
        spdlog::info("webrtc: off ([webrtc] enabled = false); the viewport streams JPEG frames");
        return nullptr;
    }
    auto helper = sessions::find_rtc_helper(config.webrtc_helper);
    if (!helper) {
        spdlog::info("webrtc: no atelier-rtc helper {}; the viewport streams JPEG frames",
                     config.webrtc_helper.empty() ? "beside the hub or on PATH" : "at " + config.webrtc_helper);
        return nullptr;
    }
    sessions::ViewportRtc::Options options;
    options.helper = *helper;
    options.socket = std::filesystem::path(config.data_dir) / "rtc.sock";
    options.log_file = std::filesystem::path(config.data_dir) / "rtc.log";
    options.bitrate_kbps = config.webrtc_bitrate_kbps;
    options.frame_counter = config.webrtc_frame_counter;
    std::string_view rest = config.webrtc_ice_servers;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto url = rest.substr(0, comma);
        while (!url.empty() && url.front() == ' ') {
            url.remove_prefix(1);
        }
        while (!url.empty() && url.back() == ' ') {
            url.remove_suffix(1);
        }
        if (!url.empty()) {
            options.ice_servers.emplace_back(url);
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    auto rtc = std::make_shared<sessions::ViewportRtc>(std::move(options), std::make_shared<engines::LocalLauncher>());
    if (auto started = rtc->start(); !started) {
        spdlog::warn("webrtc: {}; the viewport streams JPEG frames", started.error().message);
        return nullptr;
    }
    spdlog::info("webrtc: helper {}", helper->string());
    return rtc;
}

} // namespace atelier::app
