// SPDX-License-Identifier: Apache-2.0
// atelier-rtc: the viewport as WebRTC video (docs/viewport.md). The hub starts it with the path of
// a Unix socket the hub listens on; the helper connects, says hello, then takes frames and
// signalling from the hub until the hub closes the socket. GLib's loop runs here, never in the hub.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include <gst/gst.h>
#include <spdlog/spdlog.h>

#include "rtc/rtc_streamer.h"
#include "rtc/rtc_wire.h"

namespace {

constexpr const char* kUsage =
    "usage: atelier-rtc --connect SOCKET [--ice-server URL]... [--local-address IP]... [--bitrate-kbps N] "
    "[--frame-counter]\n";

struct Loop {
    GMainLoop* loop = nullptr;
    atelier::rtc::Streamer* streamer = nullptr;
};

struct Delivery {
    Loop* loop;
    atelier::rtc::WireMessage message;
};

gboolean deliver(gpointer data) {
    auto* delivery = static_cast<Delivery*>(data);
    delivery->loop->streamer->handle(delivery->message);
    delete delivery;
    return G_SOURCE_REMOVE;
}

gboolean quit(gpointer data) {
    g_main_loop_quit(static_cast<Loop*>(data)->loop);
    return G_SOURCE_REMOVE;
}

gboolean repeat(gpointer data) {
    static_cast<Loop*>(data)->streamer->repeat_idle_frames();
    return G_SOURCE_CONTINUE;
}

} // namespace

int main(int argc, char** argv) {
    gst_init(&argc, &argv);
    std::string socket_path;
    atelier::rtc::StreamerOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--connect" && has_value) {
            socket_path = argv[++i];
        } else if (arg == "--ice-server" && has_value) {
            options.ice_servers.emplace_back(argv[++i]);
        } else if (arg == "--local-address" && has_value) {
            options.local_addresses.emplace_back(argv[++i]);
        } else if (arg == "--bitrate-kbps" && has_value) {
            options.bitrate_kbps = std::strtoll(argv[++i], nullptr, 10);
        } else if (arg == "--frame-counter") {
            options.frame_counter = true;
        } else {
            std::fputs(kUsage, stderr);
            return 2;
        }
    }
    if (socket_path.empty() || options.bitrate_kbps <= 0) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    if (options.local_addresses.empty()) {
        options.local_addresses = atelier::rtc::local_ipv4_addresses();
    }

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
        std::fprintf(stderr, "atelier-rtc: socket path too long: %s\n", socket_path.c_str());
        return 2;
    }
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::fprintf(stderr, "atelier-rtc: cannot connect to %s: %s\n", socket_path.c_str(), std::strerror(errno));
        return 1;
    }

    std::mutex write_mutex;
    auto send = [&](const nlohmann::json& header) {
        const std::lock_guard lock(write_mutex);
        if (auto written = atelier::rtc::write_wire_message(fd, header); !written) {
            spdlog::warn("{}", written.error().message);
        }
    };
    Loop loop;
    loop.loop = g_main_loop_new(nullptr, FALSE);
    atelier::rtc::Streamer streamer(options, send);
    loop.streamer = &streamer;
    send({{"op", "hello"}, {"codecs", streamer.codecs()}, {"pid", ::getpid()}});
    spdlog::info("atelier-rtc: connected to {}; codecs {}", socket_path, nlohmann::json(streamer.codecs()).dump());

    std::thread reader([&] {
        for (;;) {
            auto message = atelier::rtc::read_wire_message(fd);
            if (!message) {
                spdlog::info("atelier-rtc: {}; exiting", message.error().message);
                g_idle_add(quit, &loop);
                return;
            }
            g_idle_add(deliver, new Delivery{&loop, std::move(*message)});
        }
    });
    g_timeout_add(33, repeat, &loop); // SessionPipeline::repeat_if_idle
    g_main_loop_run(loop.loop);
    ::shutdown(fd, SHUT_RDWR);
    reader.join();
    ::close(fd);
    g_main_loop_unref(loop.loop);
    return 0;
}
