// SPDX-License-Identifier: Apache-2.0
#include "app/viewport_rtc_setup.h"

#include <filesystem>

#include <spdlog/spdlog.h>

namespace atelier::app {

namespace {

std::vector<std::string> comma_separated(std::string_view rest) {
    std::vector<std::string> items;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (!item.empty()) {
            items.emplace_back(item);
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return items;
}

} // namespace

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
    options.ice_servers = comma_separated(config.webrtc_ice_servers);
    options.local_addresses = comma_separated(config.webrtc_local_addresses);
    auto rtc = std::make_shared<sessions::ViewportRtc>(std::move(options), std::make_shared<engines::LocalLauncher>());
    if (auto started = rtc->start(); !started) {
        spdlog::warn("webrtc: {}; the viewport streams JPEG frames", started.error().message);
        return nullptr;
    }
    spdlog::info("webrtc: helper {}", helper->string());
    return rtc;
}

} // namespace atelier::app
