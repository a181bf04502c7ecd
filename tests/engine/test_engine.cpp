// SPDX-License-Identifier: Apache-2.0
// A minimal engine for tests and benchmarks (see README.md): one thread, Asio/Beast async, all
// state in memory. Exit codes: 0 after engine/shutdown or the hub closing, 2 bad setup, 3 hello refused.

#include "atelier/source_dir.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using local_stream = asio::local::stream_protocol;
using nlohmann::json;

namespace {

std::string base64(const std::string& bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
        out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
    }
    if (i + 1 == bytes.size()) {
        const auto n = static_cast<unsigned char>(bytes[i]) << 16;
        out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
    } else if (i + 2 == bytes.size()) {
        const auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
    }
    return out;
}

std::uint32_t crc32(const std::string& data) {
    std::uint32_t crc = 0xffffffffU;
    for (const char c : data) {
        crc ^= static_cast<unsigned char>(c);
        for (int k = 0; k < 8; ++k) {
            crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1U)));
        }
    }
    return ~crc;
}

void put_u32(std::string& out, std::uint32_t value) {
    out += {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
            static_cast<char>(value)};
}

void png_chunk(std::string& png, const std::string& type, const std::string& data) {
    put_u32(png, static_cast<std::uint32_t>(data.size()));
    png += type + data;
    put_u32(png, crc32(type + data));
}

// A valid RGB PNG whose pixel data is stored uncompressed (deflate "stored" blocks).
std::string solid_png(int width, int height, std::array<unsigned char, 3> rgb) {
    std::string raw;
    for (int y = 0; y < height; ++y) {
        raw += '\0'; // filter: none
        for (int x = 0; x < width; ++x) {
            raw += {static_cast<char>(rgb[0]), static_cast<char>(rgb[1]), static_cast<char>(rgb[2])};
        }
    }
    std::string zlib = {'\x78', '\x01'};
    for (std::size_t offset = 0; offset < raw.size() || offset == 0; offset += 65535) {
        const auto length = std::min<std::size_t>(65535, raw.size() - offset);
        const bool last = offset + length >= raw.size();
        zlib += static_cast<char>(last ? 1 : 0);
        zlib += {static_cast<char>(length & 0xff), static_cast<char>(length >> 8), static_cast<char>(~length & 0xff),
                 static_cast<char>((~length >> 8) & 0xff)};
        zlib += raw.substr(offset, length);
        if (last) {
            break;
        }
    }
    std::uint32_t a = 1;
    std::uint32_t b = 0;
    for (const char c : raw) {
        a = (a + static_cast<unsigned char>(c)) % 65521;
        b = (b + a) % 65521;
    }
    put_u32(zlib, (b << 16) | a);
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string header;
    put_u32(header, static_cast<std::uint32_t>(width));
    put_u32(header, static_cast<std::uint32_t>(height));
    header += {'\x08', '\x02', '\x00', '\x00', '\x00'};
    png_chunk(png, "IHDR", header);
    png_chunk(png, "IDAT", zlib);
    png_chunk(png, "IEND", "");
    return png;
}

/// --preview-port N: announce a preview server on 127.0.0.1:N (as the Remotion engine does) at
/// start and at every project/open; the test runs the server itself.
int g_preview_port = 0;

/// --fault MODE: misbehave the way the reliability tests need (docs/reliability.md):
///   garbage  answer every tools/call with malformed frames (truncated JSON, wrong ids, both result
///            and error, bad binary frames) and never with a valid response
///   flood    before answering a tools/call, send 5000 log notifications, 1000 scene/changed and
///            1000 viewport frames as fast as the socket takes them
///   no-save  never answer project/save
std::string g_fault;
/// --scene-delay-ms N: report the initial scene N ms after the hello was accepted (default at once).
int g_scene_delay_ms = 0;
/// --save-bytes N: project/save also writes scene.blend, N bytes that differ at every save.
std::int64_t g_save_bytes = 0;

json read_manifests(const std::filesystem::path& dir) {
    std::set<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".json") {
            files.insert(entry.path());
        }
    }
    json manifests = json::array();
    for (const auto& file : files) {
        std::ifstream stream(file);
        // Unparsable files are sent as they are (as a string) so the hub reports them.
        std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
        auto parsed = json::parse(text, nullptr, false);
        manifests.push_back(parsed.is_discarded() ? json(text) : parsed);
    }
    return manifests;
}

// The same engine over TCP (ATELIER_HUB_URL) or a Unix socket (ATELIER_HUB_SOCKET, as in a sandbox).
template <class Socket> class TestEngine : public std::enable_shared_from_this<TestEngine<Socket>> {
public:
    TestEngine(asio::io_context& io, Socket socket, std::filesystem::path manifests_dir, std::string kind, int protocol)
        : m_io(io), m_ws(std::move(socket)), m_manifests(read_manifests(manifests_dir)),
          m_manifests_dir(std::move(manifests_dir)), m_kind(std::move(kind)), m_protocol(protocol),
          m_reload(io, SIGHUP) {}

    /// Runs the engine on a connected socket; `host` and `path` are those of the hub's URL.
    int run(const std::string& host, const std::string& path, const std::string& token) {
        load_scene();
        beast::error_code error;
        m_ws.handshake(host, path, error);
        if (error) {
            std::fprintf(stderr, "test engine: WebSocket handshake with %s%s failed: %s\n", host.c_str(), path.c_str(),
                         error.message().c_str());
            return 2;
        }
        send(json{{"jsonrpc", "2.0"},
                  {"id", 1},
                  {"method", "engine/hello"},
                  {"params",
                   {{"token", token},
                    {"kind", m_kind},
                    {"version", "1.0.0"},
                    {"protocol", m_protocol},
                    {"instructions", "A test engine: objects live in memory."}}}});
        read();
        // SIGHUP: read the manifests folder again and send the new registry (tests change tools
        // mid-session this way).
        m_reload.async_wait(
            [self = this->shared_from_this()](beast::error_code signal_error, int) { self->reload(signal_error); });
        m_io.run();
        return m_exit_code;
    }

private:
    void send(const json& message) { send_raw(message.dump(), true); }

    void send_raw(std::string data, bool text) {
        m_outbox.push_back({std::move(data), text});
        if (m_outbox.size() == 1) {
            write_next();
        }
    }

    void write_next() {
        if (m_outbox.empty()) {
            return;
        }
        m_ws.text(m_outbox.front().second);
        m_ws.async_write(asio::buffer(m_outbox.front().first),
                         [self = shared_from_this()](beast::error_code error, std::size_t) {
                             if (error) {
                                 return self->m_io.stop();
                             }
                             self->m_outbox.pop_front();
                             self->write_next();
                         });
    }

    /// --fault garbage: every kind of broken answer to a call, and never a valid one. Invalid UTF-8
    /// comes last: the hub closes a WebSocket that sends it.
    void answer_garbage(const json& id) {
        send_raw("{\"jsonrpc\":\"2.0\",\"id\":", true);
        send_raw("[1,2,3]", true);
        send({{"jsonrpc", "2.0"}, {"id", id}, {"result", 1}, {"error", {{"code", 1}, {"message", "both"}}}});
        send({{"jsonrpc", "1.0"}, {"id", id}, {"result", json::object()}});
        send({{"jsonrpc", "2.0"}, {"id", json::object()}, {"result", json::object()}});
        send({{"jsonrpc", "2.0"}, {"id", 987654321}, {"result", json::object()}});
        send({{"jsonrpc", "2.0"}, {"method", ""}});
        send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", "not an object"}});
        send_raw("AVF1 short", false);
        send_raw(std::string(64, '\0'), false);
    }

    /// --fault flood: more messages and frames than any tab could want, all at once.
    void flood() {
        for (int i = 0; i < 5000; ++i) {
            send({{"jsonrpc", "2.0"},
                  {"method", "log"},
                  {"params", {{"level", "info"}, {"message", "flood " + std::to_string(i)}}}});
        }
        for (int i = 0; i < 1000; ++i) {
            send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", {{"summary", scene_summary()}}}});
            send_frame();
        }
    }

    /// --save-bytes: a scene.blend of `size` bytes from a generator seeded by the time of the save.
    /// False when the file could not be written whole (a full disk), as a real engine reports it.
    static bool write_blend(std::int64_t size) {
        std::uint64_t state = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        std::string block(1 << 16, '\0');
        std::ofstream out("scene.blend", std::ios::binary | std::ios::trunc);
        for (std::int64_t written = 0; written < size; written += static_cast<std::int64_t>(block.size())) {
            for (auto& byte : block) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                byte = static_cast<char>(state >> 56);
            }
            out.write(block.data(), static_cast<std::streamsize>(std::min<std::int64_t>(size - written, block.size())));
        }
        return static_cast<bool>(out.flush());
    }

    void read() {
        m_ws.async_read(m_buffer, [self = shared_from_this()](beast::error_code error, std::size_t) {
            if (error) {
                self->m_io.stop();
                return;
            }
            const auto text = beast::buffers_to_string(self->m_buffer.data());
            self->m_buffer.consume(self->m_buffer.size());
            self->handle(json::parse(text, nullptr, false));
            self->read();
        });
    }

    void handle(const json& message) {
        if (message.is_discarded() || !message.is_object()) {
            return;
        }
        if (message.contains("result") || message.contains("error")) {
            // Not value("id", 0): the hub answers unreadable frames with id null, which value() throws on.
            if (message.contains("id") && message["id"] == 1) {
                if (message.contains("error")) {
                    std::fprintf(stderr, "test engine: hello refused: %s\n", message["error"].dump().c_str());
                    m_exit_code = 3;
                    m_io.stop();
                    return;
                }
                announce_preview(); // before the tools, so session:ready can name the preview
                send({{"jsonrpc", "2.0"}, {"method", "tools/update"}, {"params", {{"addons", m_manifests}}}});
                // The scene it starts with, as a real engine reports it once connected (after
                // --scene-delay-ms, for the test of a turn asked for before it came).
                auto timer = std::make_shared<asio::steady_timer>(m_io, std::chrono::milliseconds(g_scene_delay_ms));
                timer->async_wait([this, timer](const boost::system::error_code& error) {
                    if (!error) {
                        send({{"jsonrpc", "2.0"},
                              {"method", "scene/changed"},
                              {"params", {{"summary", scene_summary()}}}});
                    }
                });
            }
            return;
        }
        const std::string method = message.value("method", "");
        const json params = message.value("params", json::object());
        if (!message.contains("id")) {
            if (method == "$/cancel") {
                cancel(params.value("call_id", ""));
            }
            if (method == "project/files_changed") {
                // Echoed as a scene change, so tests see that the notification arrived and with what.
                auto summary = scene_summary();
                summary["files_changed"] = params.value("paths", json::array());
                send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", {{"summary", summary}}}});
            }
            return;
        }
        const json id = message["id"];
        if (g_fault == "no-save" && method == "project/save") {
            return;
        }
        if (g_fault == "garbage" && method == "tools/call") {
            return answer_garbage(id);
        }
        if (g_fault == "flood" && method == "tools/call") {
            flood();
        }
        if (method == "tools/call") {
            return call(id, params);
        }
        if (method == "project/save") {
            // The scene lives in scene.json in the working tree, so versions and restores show.
            std::ofstream scene("scene.json");
            if (!(scene << scene_summary().dump(2) << "\n").flush()) {
                return error(id, -32000, std::string("project/save: cannot write scene.json: ") + std::strerror(errno),
                             nullptr);
            }
            if (g_save_bytes > 0) {
                if (!write_blend(g_save_bytes)) {
                    return error(id, -32000,
                                 std::string("project/save: cannot write scene.blend: ") + std::strerror(errno),
                                 nullptr);
                }
                return reply(id, {{"files", json::array({"scene.json", "scene.blend"})}});
            }
            return reply(id, {{"files", json::array({"scene.json"})}});
        }
        if (method == "project/open") {
            // A warm-pool engine gets its session's tree: the hub checked it out into our cwd.
            const auto workdir = params.value("workdir", "");
            std::error_code error;
            if (workdir.empty() || !std::filesystem::is_directory(workdir, error)) {
                return this->error(id, -32602, "project/open: '" + workdir + "' is not a directory", nullptr);
            }
            std::filesystem::current_path(workdir, error);
            m_objects.clear();
            load_scene();
            announce_preview(); // before the answer, so session:ready can name the preview
            reply(id, {{"opened", workdir}});
            send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", {{"summary", scene_summary()}}}});
            return send_frame();
        }
        if (method == "viewport/configure") {
            // Frames of the asked size from now on (the test engine draws at most 256x256).
            m_frame_width = std::clamp(params.value("width", m_frame_width), 1, 256);
            m_frame_height = std::clamp(params.value("height", m_frame_height), 1, 256);
            reply(id, {{"width", m_frame_width}, {"height", m_frame_height}});
            return send_frame();
        }
        if (method == "engine/shutdown") {
            reply(id, json::object());
            m_ws.async_close(websocket::close_code::normal,
                             [self = shared_from_this()](beast::error_code) { self->m_io.stop(); });
            return;
        }
        error(id, -32601, "unknown method " + method, nullptr);
    }

    void announce_preview() {
        if (g_preview_port > 0) {
            send({{"jsonrpc", "2.0"}, {"method", "preview/ready"}, {"params", {{"port", g_preview_port}}}});
        }
    }

    void reply(const json& id, const json& result) { send({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}); }

    void error(const json& id, int code, const std::string& message, const json& data) {
        json body{{"code", code}, {"message", message}};
        if (!data.is_null()) {
            body["data"] = data;
        }
        send({{"jsonrpc", "2.0"}, {"id", id}, {"error", body}});
    }

    static json text_content(const std::string& text) { return json::array({{{"type", "text"}, {"text", text}}}); }

    json scene_summary() const {
        json objects = json::array();
        for (const auto& [name, object] : m_objects) {
            objects.push_back({{"name", name}, {"shape", object.first}, {"location", object.second}});
        }
        return {{"objects", objects}};
    }

    void call(const json& id, const json& params) {
        const std::string tool = params.value("name", "");
        const std::string call_id = params.value("call_id", "");
        const json arguments = params.value("arguments", json::object());
        if (tool == "echo") {
            const std::string text = arguments.value("text", "");
            return reply(id, {{"content", text_content(text)}, {"data", {{"text", text}}}});
        }
        if (tool == "add") {
            const double sum = arguments.value("a", 0.0) + arguments.value("b", 0.0);
            return reply(id, {{"content", text_content(std::to_string(sum))}, {"data", {{"sum", sum}}}});
        }
        if (tool == "sleep" || tool == "nap") {
            const int ms = arguments.value("ms", 0);
            // Progress as a renderer reports it, all before the wait, so that tests need no timing.
            const int steps = arguments.value("steps", 0);
            for (int done = 1; done <= steps; ++done) {
                send({{"jsonrpc", "2.0"},
                      {"method", "render/progress"},
                      {"params", {{"call_id", call_id}, {"done", done}, {"total", steps}}}});
            }
            auto timer = std::make_shared<asio::steady_timer>(m_io, std::chrono::milliseconds(ms));
            m_sleeps[call_id] = {timer, id};
            timer->async_wait([self = shared_from_this(), call_id, ms](beast::error_code wait_error) {
                const auto it = self->m_sleeps.find(call_id);
                if (it == self->m_sleeps.end()) {
                    return;
                }
                const json request_id = it->second.second;
                self->m_sleeps.erase(it);
                if (wait_error) {
                    return self->error(request_id, -32003, "cancelled while sleeping", nullptr);
                }
                self->reply(request_id, {{"content", text_content("slept")}, {"data", {{"slept_ms", ms}}}});
            });
            return;
        }
        if (tool == "fail") {
            return error(id, -32000, arguments.value("message", "it broke"),
                         {{"traceback", "Traceback (most recent call last):\n  test_engine.cpp: fail\n"}});
        }
        if (tool == "crash") {
            std::fflush(stderr);
            std::_Exit(42);
        }
        if (tool == "image") {
            const std::string color = arguments.value("color", "#ff8800");
            const auto channel = [&](int at) {
                return static_cast<unsigned char>(
                    std::stoi(color.substr(static_cast<std::size_t>(at), 2), nullptr, 16));
            };
            const auto png = solid_png(arguments.value("width", 8), arguments.value("height", 8),
                                       {channel(1), channel(3), channel(5)});
            return reply(id, {{"content",
                               json::array({{{"type", "image"}, {"mimeType", "image/png"}, {"data", base64(png)}}})}});
        }
        if (tool == "probe") {
            return reply(id, {{"content", text_content("probed")}, {"data", probe(arguments)}});
        }
        if (tool == "create_object") {
            const int delay = arguments.value("delay_ms", 0);
            if (delay > 0) {
                // A slow change (tests of ordering): progress first, so a test knows it is running.
                send({{"jsonrpc", "2.0"},
                      {"method", "render/progress"},
                      {"params", {{"call_id", call_id}, {"done", 0}, {"total", 1}}}});
                auto timer = std::make_shared<asio::steady_timer>(m_io, std::chrono::milliseconds(delay));
                json now = arguments;
                now.erase("delay_ms");
                timer->async_wait([self = shared_from_this(), timer, id, call_id, now](beast::error_code) {
                    self->call(id, {{"name", "create_object"}, {"call_id", call_id}, {"arguments", now}});
                });
                return;
            }
            const std::string name = arguments.value("name", "");
            if (m_objects.contains(name)) {
                return error(id, -32000, "an object named '" + name + "' already exists", nullptr);
            }
            m_objects[name] = {arguments.value("shape", "cube"), arguments.value("location", json::array({0, 0, 0}))};
            return changed(id, "created " + name);
        }
        if (tool == "delete_object") {
            const std::string name = arguments.value("name", "");
            if (m_objects.erase(name) == 0) {
                return error(id, -32000, "no object named '" + name + "' in the scene", nullptr);
            }
            return changed(id, "deleted " + name);
        }
        if (tool == "list_objects") {
            return reply(id, {{"content", text_content(scene_summary().dump())}, {"data", scene_summary()}});
        }
        error(id, -32005, "the test engine has no tool '" + tool + "'", nullptr);
    }

    // What a sandbox must forbid: writing a file at `write_path`, a TCP connection to `connect_port`.
    static json probe(const json& arguments) {
        json result = json::object();
        const std::string path = arguments.value("write_path", "");
        if (!path.empty()) {
            const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            result["wrote"] = fd >= 0;
            result["write_error"] = fd >= 0 ? "" : std::strerror(errno);
            if (fd >= 0) {
                ::close(fd);
            }
        }
        const int port = arguments.value("connect_port", 0);
        if (port > 0) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(static_cast<std::uint16_t>(port));
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            const bool connected =
                fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
            result["connected"] = connected;
            result["connect_error"] = connected ? "" : std::strerror(errno);
            if (fd >= 0) {
                ::close(fd);
            }
        }
        return result;
    }

    // At start, the scene of the version the hub checked out (if any).
    void load_scene() {
        std::ifstream file("scene.json");
        const auto saved = json::parse(file, nullptr, false);
        if (saved.is_discarded() || !saved.contains("objects")) {
            return;
        }
        for (const auto& object : saved["objects"]) {
            m_objects[object.value("name", "")] = {object.value("shape", "cube"),
                                                   object.value("location", json::array({0, 0, 0}))};
        }
    }

    void changed(const json& id, const std::string& what) {
        const auto summary = scene_summary();
        reply(id, {{"content", text_content(what)}, {"data", summary}, {"scene", summary}});
        send({{"jsonrpc", "2.0"}, {"method", "scene/changed"}, {"params", {{"summary", summary}}}});
        send_frame();
    }

    // A viewport frame (docs/protocol.md): "AVF1", seq, width, height, codec 3 (PNG), then the image.
    void send_frame() {
        const int width = m_frame_width;
        const int height = m_frame_height;
        const auto shade = static_cast<unsigned char>(40 * m_objects.size() % 256);
        std::string frame = "AVF1";
        const auto seq = ++m_frame_seq;
        frame += {static_cast<char>(seq), static_cast<char>(seq >> 8), static_cast<char>(seq >> 16),
                  static_cast<char>(seq >> 24)};
        frame += {static_cast<char>(width),
                  static_cast<char>(width >> 8),
                  static_cast<char>(height),
                  static_cast<char>(height >> 8),
                  '\3',
                  '\0',
                  '\0',
                  '\0'};
        frame += solid_png(width, height, {shade, 128, 200});
        send_raw(std::move(frame), false);
    }

    void reload(beast::error_code error) {
        if (error) {
            return;
        }
        m_manifests = read_manifests(m_manifests_dir);
        send({{"jsonrpc", "2.0"}, {"method", "tools/update"}, {"params", {{"addons", m_manifests}}}});
        m_reload.async_wait([self = this->shared_from_this()](beast::error_code next, int) { self->reload(next); });
    }

    void cancel(const std::string& call_id) {
        if (const auto it = m_sleeps.find(call_id); it != m_sleeps.end()) {
            it->second.first->cancel();
        }
    }

    using std::enable_shared_from_this<TestEngine<Socket>>::shared_from_this;

    asio::io_context& m_io;
    websocket::stream<Socket> m_ws;
    beast::flat_buffer m_buffer;
    std::deque<std::pair<std::string, bool>> m_outbox;
    json m_manifests;
    std::filesystem::path m_manifests_dir;
    std::string m_kind;
    int m_protocol;
    int m_exit_code = 0;
    std::uint32_t m_frame_seq = 0;
    int m_frame_width = 16;
    int m_frame_height = 8;
    std::map<std::string, std::pair<std::string, json>> m_objects;
    std::map<std::string, std::pair<std::shared_ptr<asio::steady_timer>, json>> m_sleeps;
    asio::signal_set m_reload;
};

} // namespace

int main(int argc, char** argv) {
    std::filesystem::path manifests_dir = std::filesystem::path(ATELIER_SOURCE_DIR) / "tests/engine/manifests";
    std::string kind = "test";
    int protocol = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--manifests") {
            manifests_dir = argv[i + 1];
        } else if (flag == "--kind") {
            kind = argv[i + 1];
        } else if (flag == "--protocol") {
            protocol = std::stoi(argv[i + 1]);
        } else if (flag == "--preview-port") {
            g_preview_port = std::stoi(argv[i + 1]);
        } else if (flag == "--fault") {
            g_fault = argv[i + 1];
        } else if (flag == "--save-bytes") {
            g_save_bytes = std::stoll(argv[i + 1]);
        } else if (flag == "--scene-delay-ms") {
            g_scene_delay_ms = std::stoi(argv[i + 1]);
        }
    }
    const char* url = std::getenv("ATELIER_HUB_URL");
    const char* token = std::getenv("ATELIER_ENGINE_TOKEN");
    if (url == nullptr || token == nullptr) {
        std::fprintf(stderr, "test engine: ATELIER_HUB_URL and ATELIER_ENGINE_TOKEN must be set\n");
        return 2;
    }
    // ws://host:port/path
    const std::string hub_url = url;
    const auto rest = hub_url.substr(hub_url.find("//") + 2);
    const auto slash = rest.find('/');
    const auto host_port = rest.substr(0, slash);
    const auto path = slash == std::string::npos ? "/" : rest.substr(slash);
    asio::io_context io;
    beast::error_code error;
    if (const char* socket_path = std::getenv("ATELIER_HUB_SOCKET"); socket_path != nullptr && *socket_path != 0) {
        local_stream::socket socket(io);
        socket.connect(local_stream::endpoint(socket_path), error);
        if (error) {
            std::fprintf(stderr, "test engine: cannot connect to %s: %s\n", socket_path, error.message().c_str());
            return 2;
        }
        auto engine =
            std::make_shared<TestEngine<local_stream::socket>>(io, std::move(socket), manifests_dir, kind, protocol);
        return engine->run(host_port, path, token);
    }
    const auto colon = host_port.rfind(':');
    tcp::resolver resolver(io);
    tcp::socket socket(io);
    const auto endpoints = resolver.resolve(host_port.substr(0, colon), host_port.substr(colon + 1), error);
    if (!error) {
        asio::connect(socket, endpoints, error);
    }
    if (error) {
        std::fprintf(stderr, "test engine: cannot connect to %s: %s\n", url, error.message().c_str());
        return 2;
    }
    auto engine = std::make_shared<TestEngine<tcp::socket>>(io, std::move(socket), manifests_dir, kind, protocol);
    return engine->run(host_port, path, token);
}
