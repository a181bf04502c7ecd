// SPDX-License-Identifier: Apache-2.0
// The real atelier-rtc binary, fed JPEG frames made by GStreamer's videotestsrc, streaming to a
// second webrtcbin in this test over loopback ICE, DTLS and SRTP: the receiver decodes the video
// and reads back the frame numbers the helper draws in test mode.

#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#define GST_USE_UNSTABLE_API
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <gtest/gtest.h>

#include "rtc/rtc_wire.h"

extern char** environ;

namespace atelier::rtc {
namespace {

using namespace std::chrono_literals;
constexpr auto kDeadline = 30s;

/// JPEG frames of a test pattern, made once.
std::vector<std::string> test_jpegs(int count, int width, int height) {
    const auto description = "videotestsrc pattern=ball num-buffers=" + std::to_string(count) +
                             " ! video/x-raw,width=" + std::to_string(width) + ",height=" + std::to_string(height) +
                             " ! jpegenc ! appsink name=out sync=false";
    GError* error = nullptr;
    GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
    EXPECT_EQ(error, nullptr);
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    std::vector<std::string> frames;
    while (GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) {
        GstMapInfo map;
        GstBuffer* buffer = gst_sample_get_buffer(sample);
        gst_buffer_map(buffer, &map, GST_MAP_READ);
        frames.emplace_back(reinterpret_cast<const char*>(map.data), map.size);
        gst_buffer_unmap(buffer, &map);
        gst_sample_unref(sample);
    }
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
    return frames;
}

/// The helper process on a Unix socket this test listens on; messages from it queue up here.
class Helper {
public:
    explicit Helper(std::vector<std::string> extra = {}) {
        m_dir = std::filesystem::temp_directory_path() / ("atelier-rtc-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_dir);
        const auto path = (m_dir / "rtc.sock").string();
        std::filesystem::remove(path);
        m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
        EXPECT_EQ(::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        EXPECT_EQ(::listen(m_listener, 1), 0);
        const char* binary = std::getenv("ATELIER_RTC_BINARY");
        EXPECT_NE(binary, nullptr) << "ATELIER_RTC_BINARY names the helper (set by ctest)";
        std::vector<std::string> args = {binary, "--connect", path, "--local-address", "127.0.0.1"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        EXPECT_EQ(posix_spawn(&m_pid, binary, nullptr, nullptr, argv.data(), environ), 0);
        pollfd ready{m_listener, POLLIN, 0};
        EXPECT_EQ(::poll(&ready, 1, static_cast<int>(std::chrono::milliseconds(kDeadline).count())), 1)
            << "the helper did not connect";
        m_fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
        m_reader = std::thread([this] {
            for (;;) {
                auto message = read_wire_message(m_fd);
                const std::lock_guard lock(m_mutex);
                if (!message) {
                    m_closed = true;
                    m_changed.notify_all();
                    return;
                }
                m_messages.push_back(std::move(*message));
                m_changed.notify_all();
            }
        });
    }
    ~Helper() {
        ::shutdown(m_fd, SHUT_RDWR);
        m_reader.join();
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        ::close(m_fd);
        ::close(m_listener);
        std::filesystem::remove_all(m_dir);
    }

    void send(const nlohmann::json& header, std::string_view body = {}) {
        const std::lock_guard lock(m_write_mutex);
        EXPECT_TRUE(write_wire_message(m_fd, header, body));
    }

    /// The first queued message with this op (removed), waiting up to the deadline.
    std::optional<WireMessage> next(const std::string& op) {
        std::unique_lock lock(m_mutex);
        std::optional<WireMessage> found;
        m_changed.wait_for(lock, kDeadline, [&] {
            for (auto it = m_messages.begin(); it != m_messages.end(); ++it) {
                if (it->op() == op) {
                    found = std::move(*it);
                    m_messages.erase(it);
                    return true;
                }
            }
            return m_closed;
        });
        return found;
    }

    /// Every queued message with this op, without waiting.
    std::vector<WireMessage> take(const std::string& op) {
        const std::lock_guard lock(m_mutex);
        std::vector<WireMessage> found;
        for (auto it = m_messages.begin(); it != m_messages.end();) {
            if (it->op() == op) {
                found.push_back(std::move(*it));
                it = m_messages.erase(it);
            } else {
                ++it;
            }
        }
        return found;
    }

private:
    std::filesystem::path m_dir;
    int m_listener = -1;
    int m_fd = -1;
    pid_t m_pid = 0;
    std::thread m_reader;
    std::mutex m_mutex;
    std::mutex m_write_mutex;
    std::condition_variable m_changed;
    std::deque<WireMessage> m_messages;
    bool m_closed = false;
};

/// A browser stand-in: a receive-only webrtcbin that answers the helper's offer and decodes the
/// video into an appsink of I420 frames.
class Receiver {
public:
    Receiver(Helper& helper, std::string viewer) : m_helper(helper), m_viewer(std::move(viewer)) {
        m_pipeline = gst_pipeline_new("receiver");
        m_webrtc = gst_element_factory_make("webrtcbin", nullptr);
        gst_util_set_object_arg(G_OBJECT(m_webrtc), "bundle-policy", "max-bundle");
        gst_bin_add(GST_BIN(m_pipeline), m_webrtc);
        GstWebRTCICE* ice = nullptr;
        g_object_get(m_webrtc, "ice-agent", &ice, nullptr);
        gboolean added = FALSE;
        g_signal_emit_by_name(ice, "add-local-ip-address", "127.0.0.1", &added);
        EXPECT_TRUE(added);
        gst_object_unref(ice);
        g_signal_connect(m_webrtc, "on-ice-candidate", G_CALLBACK(on_candidate), this);
        g_signal_connect(m_webrtc, "pad-added", G_CALLBACK(on_pad), this);
        gst_element_set_state(m_pipeline, GST_STATE_PLAYING);
    }
    ~Receiver() {
        gst_element_set_state(m_pipeline, GST_STATE_NULL);
        if (m_sink != nullptr) {
            gst_object_unref(m_sink);
        }
        gst_object_unref(m_pipeline);
    }

    /// Takes the offer, sends the answer and our candidates; remote candidates go to add_candidate.
    void answer(const std::string& sdp) {
        GstSDPMessage* message = nullptr;
        ASSERT_EQ(gst_sdp_message_new_from_text(sdp.c_str(), &message), GST_SDP_OK);
        auto* offer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, message);
        GstPromise* done = gst_promise_new();
        g_signal_emit_by_name(m_webrtc, "set-remote-description", offer, done);
        gst_promise_wait(done);
        gst_promise_unref(done);
        gst_webrtc_session_description_free(offer);
        GstPromise* created = gst_promise_new();
        g_signal_emit_by_name(m_webrtc, "create-answer", nullptr, created);
        ASSERT_EQ(gst_promise_wait(created), GST_PROMISE_RESULT_REPLIED);
        GstWebRTCSessionDescription* answer = nullptr;
        gst_structure_get(gst_promise_get_reply(created), "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer,
                          nullptr);
        gst_promise_unref(created);
        ASSERT_NE(answer, nullptr);
        g_signal_emit_by_name(m_webrtc, "set-local-description", answer, nullptr);
        gchar* text = gst_sdp_message_as_text(answer->sdp);
        m_helper.send({{"op", "answer"}, {"viewer", m_viewer}, {"sdp", text}});
        g_free(text);
        gst_webrtc_session_description_free(answer);
    }

    void add_candidate(const nlohmann::json& header) {
        g_signal_emit_by_name(m_webrtc, "add-ice-candidate", header.value("sdpMLineIndex", 0U),
                              header.value("candidate", std::string()).c_str());
    }

    /// The frame number drawn in the next decoded frame, or nullopt when none came in time.
    std::optional<std::uint32_t> next_counter(std::chrono::milliseconds timeout) {
        GstElement* sink = nullptr;
        {
            std::unique_lock lock(m_mutex);
            m_linked.wait_for(lock, timeout, [&] { return m_sink != nullptr; });
            sink = m_sink;
        }
        if (sink == nullptr) {
            return std::nullopt;
        }
        GstSample* sample = gst_app_sink_try_pull_sample(
            GST_APP_SINK(sink), static_cast<GstClockTime>(std::chrono::nanoseconds(timeout).count()));
        if (sample == nullptr) {
            return std::nullopt;
        }
        GstVideoInfo info;
        gst_video_info_from_caps(&info, gst_sample_get_caps(sample));
        GstVideoFrame frame;
        gst_video_frame_map(&frame, &info, gst_sample_get_buffer(sample), GST_MAP_READ);
        const auto* luma = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0));
        const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0);
        std::uint32_t counter = 0;
        for (int bit = 0; bit < 16; ++bit) {
            counter = (counter << 1) | (luma[8 * stride + bit * 16 + 8] > 128 ? 1U : 0U);
        }
        gst_video_frame_unmap(&frame);
        gst_sample_unref(sample);
        return counter;
    }

private:
    static void on_candidate(GstElement* /*webrtc*/, guint mline, gchar* candidate, gpointer data) {
        auto* self = static_cast<Receiver*>(data);
        self->m_helper.send(
            {{"op", "ice"}, {"viewer", self->m_viewer}, {"candidate", candidate}, {"sdpMLineIndex", mline}});
    }

    static void on_pad(GstElement* /*webrtc*/, GstPad* pad, gpointer data) {
        auto* self = static_cast<Receiver*>(data);
        if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) {
            return;
        }
        GstCaps* caps = gst_pad_get_current_caps(pad);
        const gchar* encoding = gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name");
        const bool vp8 = std::string(encoding != nullptr ? encoding : "") == "VP8";
        gst_caps_unref(caps);
        // depayloader → decodebin (which picks the parser and decoder) → I420 frames in an appsink.
        GstElement* depay = gst_element_factory_make(vp8 ? "rtpvp8depay" : "rtph264depay", nullptr);
        GstElement* decode = gst_element_factory_make("decodebin", nullptr);
        GError* error = nullptr;
        GstElement* output = gst_parse_bin_from_description(
            "videoconvert ! video/x-raw,format=I420 ! appsink name=frames sync=false max-buffers=4 drop=true", TRUE,
            &error);
        EXPECT_EQ(error, nullptr);
        gst_bin_add_many(GST_BIN(self->m_pipeline), depay, decode, output, nullptr);
        g_signal_connect(decode, "pad-added", G_CALLBACK(on_decoded_pad), output);
        gst_element_link(depay, decode);
        for (GstElement* element : {output, decode, depay}) {
            gst_element_sync_state_with_parent(element);
        }
        GstPad* sink = gst_element_get_static_pad(depay, "sink");
        EXPECT_EQ(gst_pad_link(pad, sink), GST_PAD_LINK_OK);
        gst_object_unref(sink);
        const std::lock_guard lock(self->m_mutex);
        self->m_sink = gst_bin_get_by_name(GST_BIN(output), "frames");
        self->m_linked.notify_all();
    }

    static void on_decoded_pad(GstElement* /*decodebin*/, GstPad* pad, gpointer data) {
        GstPad* sink = gst_element_get_static_pad(static_cast<GstElement*>(data), "sink");
        EXPECT_EQ(gst_pad_link(pad, sink), GST_PAD_LINK_OK);
        gst_object_unref(sink);
    }

    Helper& m_helper;
    std::string m_viewer;
    GstElement* m_pipeline = nullptr;
    GstElement* m_webrtc = nullptr;
    std::mutex m_mutex;
    std::condition_variable m_linked;
    GstElement* m_sink = nullptr;
};

class RtcHelper : public ::testing::Test {
protected:
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

TEST_F(RtcHelper, SaysHelloWithH264AndVp8) {
    Helper helper;
    auto hello = helper.next("hello");
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->header["codecs"], nlohmann::json::array({"H264", "VP8"}));
}

TEST_F(RtcHelper, OffersASendOnlyTrackInTheBrowsersFirstCodec) {
    Helper helper;
    // The offer waits for the stream's caps, that is for the session's first frame.
    helper.send({{"op", "frame"}, {"session", "s1"}, {"seq", 1}}, test_jpegs(1, 320, 180).at(0));
    for (const std::string codec : {"H264", "VP8"}) {
        helper.send({{"op", "start"}, {"session", "s1"}, {"viewer", "v-" + codec}, {"codecs", {codec}}});
        auto offer = helper.next("offer");
        ASSERT_TRUE(offer) << codec;
        const auto sdp = offer->header["sdp"].get<std::string>();
        EXPECT_NE(sdp.find(codec + "/90000"), std::string::npos) << sdp;
        EXPECT_NE(sdp.find("a=sendonly"), std::string::npos) << sdp;
        EXPECT_EQ(sdp.find(codec == "H264" ? "VP8/90000" : "H264/90000"), std::string::npos) << sdp;
    }
}

TEST_F(RtcHelper, RefusesAViewerWithNoCommonCodec) {
    Helper helper;
    helper.send({{"op", "start"}, {"session", "s1"}, {"viewer", "v1"}, {"codecs", {"AV1"}}});
    auto state = helper.next("state");
    ASSERT_TRUE(state);
    EXPECT_EQ(state->header["state"], "failed");
    EXPECT_NE(state->header["reason"].get<std::string>().find("no common codec"), std::string::npos);
}

TEST_F(RtcHelper, AnswersAMalformedMessageWithAnError) {
    Helper helper;
    helper.send({{"op", "frame"}, {"session", "s1"}});
    helper.send({{"op", "dance"}});
    auto first = helper.next("error");
    auto second = helper.next("error");
    ASSERT_TRUE(first && second);
    EXPECT_NE(first->header["message"].get<std::string>().find("JPEG body"), std::string::npos);
    EXPECT_NE(second->header["message"].get<std::string>().find("unknown op 'dance'"), std::string::npos);
}

/// Streams to a receiver over loopback and reads back the frame numbers: the last frame sent is
/// the one shown (also when the engine sends nothing more: the helper repeats it).
void streams_frames_to_a_receiver(const std::string& codec) {
    Helper helper({"--frame-counter"});
    const auto jpegs = test_jpegs(1, 320, 180);
    ASSERT_EQ(jpegs.size(), 1U);
    helper.send({{"op", "frame"}, {"session", "s1"}, {"seq", 4660}}, jpegs[0]);
    Receiver receiver(helper, "v1");
    helper.send({{"op", "start"}, {"session", "s1"}, {"viewer", "v1"}, {"codecs", {codec}}});
    auto offer = helper.next("offer");
    ASSERT_TRUE(offer);
    receiver.answer(offer->header["sdp"].get<std::string>());

    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    auto wait_for_counter = [&](std::uint32_t wanted) {
        std::optional<std::uint32_t> seen;
        while (std::chrono::steady_clock::now() < deadline) {
            for (const auto& candidate : helper.take("ice")) {
                receiver.add_candidate(candidate.header);
            }
            seen = receiver.next_counter(200ms);
            if (seen == wanted) {
                return true;
            }
        }
        ADD_FAILURE() << "frame " << wanted << " never arrived (last seen: " << (seen ? int(*seen) : -1) << ")";
        return false;
    };
    ASSERT_TRUE(wait_for_counter(4660));
    // The viewport follows the panel: a frame of another size, odd too, goes through the same viewer.
    helper.send({{"op", "frame"}, {"session", "s1"}, {"seq", 777}}, test_jpegs(1, 625, 361).at(0));
    ASSERT_TRUE(wait_for_counter(777));
    auto connected = helper.next("state");
    ASSERT_TRUE(connected);

    helper.send({{"op", "stop"}, {"viewer", "v1"}});
    for (;;) {
        auto state = helper.next("state");
        ASSERT_TRUE(state) << "no closed state after stop";
        if (state->header["state"] == "closed") {
            break;
        }
    }
}

/// A viewer that leaves while the encoder runs must not stop the session's video for the next one
/// (a tab that restarts its viewer, a second tab).
TEST_F(RtcHelper, AViewerThatLeavesLeavesTheEncoderRunningForTheNext) {
    Helper helper({"--frame-counter"});
    const auto jpeg = test_jpegs(1, 320, 180).at(0);
    helper.send({{"op", "frame"}, {"session", "s1"}, {"seq", 11}}, jpeg);
    for (const std::string viewer : {"v1", "v2"}) {
        Receiver receiver(helper, viewer);
        helper.send({{"op", "start"}, {"session", "s1"}, {"viewer", viewer}, {"codecs", {"H264"}}});
        auto offer = helper.next("offer");
        ASSERT_TRUE(offer) << viewer;
        receiver.answer(offer->header["sdp"].get<std::string>());
        const std::uint32_t wanted = viewer == "v1" ? 11 : 12;
        if (viewer == "v2") {
            helper.send({{"op", "frame"}, {"session", "s1"}, {"seq", 12}}, jpeg);
        }
        const auto deadline = std::chrono::steady_clock::now() + kDeadline;
        std::optional<std::uint32_t> seen;
        while (seen != wanted && std::chrono::steady_clock::now() < deadline) {
            for (const auto& candidate : helper.take("ice")) {
                if (candidate.header["viewer"] == viewer) {
                    receiver.add_candidate(candidate.header);
                }
            }
            seen = receiver.next_counter(200ms);
        }
        ASSERT_EQ(seen, wanted) << viewer;
        helper.send({{"op", "stop"}, {"viewer", viewer}});
    }
}

TEST_F(RtcHelper, StreamsH264FramesToAReceiverOverLoopback) {
    streams_frames_to_a_receiver("H264");
}

TEST_F(RtcHelper, StreamsVp8FramesToAReceiverOverLoopback) {
    streams_frames_to_a_receiver("VP8");
}

} // namespace
} // namespace atelier::rtc
