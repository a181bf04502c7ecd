// SPDX-License-Identifier: Apache-2.0
#include "mcp/stdio_bridge.h"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/sse_parser.h"
#include "mcp/json_rpc.h"
#include "net/http_client.h"

namespace atelier::mcp {
namespace {

using nlohmann::json;

/// Silence on a POST answer is normal while a tool runs; each tool call has its own timeout in
/// the hub, so the bridge waits long. The GET stream carries a heartbeat every 15 s by default.
constexpr std::chrono::hours kRequestReadTimeout{24};
constexpr std::chrono::seconds kStreamReadTimeout{120};
constexpr std::size_t kMaxBody = 64U * 1024U * 1024U;

/// A header value as the 2026-07-28 transport sends it: as is when it is plain visible ASCII
/// without surrounding spaces, else `=?base64?…?=`.
std::string header_safe(const std::string& value) {
    bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
                 !(value.starts_with("=?base64?") && value.ends_with("?="));
    for (const char c : value) {
        plain = plain && c >= 0x20 && c <= 0x7E;
    }
    return plain ? value : "=?base64?" + base64(value) + "?=";
}

std::string stateless_version(const json& message) {
    const auto params = message.find("params");
    if (params == message.end() || !params->is_object()) {
        return {};
    }
    const auto meta = params->find("_meta");
    if (meta == params->end() || !meta->is_object()) {
        return {};
    }
    const auto version = meta->find("io.modelcontextprotocol/protocolVersion");
    return version != meta->end() && version->is_string() ? version->get<std::string>() : std::string();
}

class Bridge {
public:
    Bridge(std::string endpoint, std::string token, int output_fd)
        : m_endpoint(std::move(endpoint)), m_token(std::move(token)), m_output(output_fd) {}

    int run(int input_fd) {
        std::string pending;
        std::array<char, 64 * 1024> buffer{};
        while (!m_stopping) {
            pollfd descriptor{input_fd, POLLIN, 0};
            const int ready = ::poll(&descriptor, 1, 200);
            if (ready < 0 && errno == EINTR) {
                continue;
            }
            if (ready < 0) {
                break;
            }
            if (ready == 0) {
                reap();
                continue;
            }
            const ssize_t got = ::read(input_fd, buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got <= 0) {
                break; // the client closed our stdin: finish what was asked, then leave
            }
            pending.append(buffer.data(), static_cast<std::size_t>(got));
            for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
                std::string line = pending.substr(0, newline);
                pending.erase(0, newline + 1);
                dispatch(std::move(line));
            }
        }
        if (!m_stopping && !pending.empty()) {
            dispatch(std::move(pending));
        } else if (m_exit != 0) {
            // Requests read but not sent when the hub failed still get their answer.
            for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
                const auto message = json::parse(pending.substr(0, newline), nullptr, false);
                pending.erase(0, newline + 1);
                if (message.is_object() && message.contains("id") && message.contains("method")) {
                    fail_request(message["id"], stop_reason());
                }
            }
        }
        // Long-lived requests (subscriptions/listen) never finish by themselves: end them; wait for
        // the answers still due to the others.
        m_ending = true;
        cancel_where([](const InFlight& call) { return call.listen; });
        for (auto& worker : m_workers) {
            worker.thread.join();
        }
        m_workers.clear();
        stop_stream();
        end_session();
        return m_exit;
    }

private:
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    /// A message being relayed; its signal closes the HTTP request (which, for the stateless
    /// revision, is how a request is cancelled).
    struct InFlight {
        json id;     ///< null for a notification
        bool listen; ///< subscriptions/listen: open until cancelled
        std::shared_ptr<net::CancelSignal> signal = std::make_shared<net::CancelSignal>();
        bool cancelled_by_client = false;
    };

    /// Cancels the messages in flight that `match` says (outside the lock: cancelling runs handlers).
    template <class Match> void cancel_where(Match match, bool by_client = false) {
        std::vector<std::shared_ptr<net::CancelSignal>> signals;
        {
            const std::lock_guard lock(m_mutex);
            for (auto& [sequence, call] : m_in_flight) {
                if (match(call)) {
                    call.cancelled_by_client = call.cancelled_by_client || by_client;
                    signals.push_back(call.signal);
                }
            }
        }
        for (const auto& signal : signals) {
            signal->cancel();
        }
    }

    void dispatch(std::string line) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.pop_back();
        }
        if (line.empty()) {
            return;
        }
        auto message = json::parse(line, nullptr, false);
        if (message.is_discarded() || !message.is_object()) {
            std::fprintf(stderr, "atelier mcp: ignoring a line that is not a JSON-RPC message object\n");
            write(error_message(nullptr, kParseError, "Parse error: each line must be one JSON-RPC message", nullptr));
            return;
        }
        if (message.value("method", "") == "notifications/cancelled" && message.contains("params") &&
            message["params"].is_object() && message["params"].contains("requestId")) {
            // The client gives up on a request (or ends a subscription): close its HTTP request; the
            // session-based revisions also get the notification itself.
            const json cancelled = message["params"]["requestId"];
            cancel_where([&cancelled](const InFlight& call) { return call.id == cancelled; }, true);
            bool session = false;
            {
                const std::lock_guard lock(m_mutex);
                session = !m_session_id.empty();
            }
            if (!session) {
                return;
            }
        }
        // initialize and notifications go out in order, before anything sent after them; other
        // requests run side by side (a long render must not hold up a ping).
        const bool request = message.contains("id") && message.contains("method");
        if (!request || message.value("method", "") == "initialize") {
            return forward(message, begin(message));
        }
        reap();
        const std::uint64_t sequence = begin(message);
        auto done = std::make_shared<std::atomic<bool>>(false);
        m_workers.push_back({std::thread([this, message = std::move(message), sequence, done] {
                                 forward(message, sequence);
                                 *done = true;
                             }),
                             done});
    }

    /// Joins the workers that have finished.
    void reap() {
        for (auto it = m_workers.begin(); it != m_workers.end();) {
            if (*it->done) {
                it->thread.join();
                it = m_workers.erase(it);
            } else {
                ++it;
            }
        }
    }

    std::vector<std::pair<std::string, std::string>> headers_for(const json& message) {
        std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Bearer " + m_token},
                                                                 {"Content-Type", "application/json"},
                                                                 {"Accept", "application/json, text/event-stream"}};
        const std::string method = message.value("method", "");
        if (const auto version = stateless_version(message); !version.empty() && method != "initialize") {
            // The stateless revision mirrors the body in headers, and has no session.
            headers.emplace_back("MCP-Protocol-Version", version);
            headers.emplace_back("Mcp-Method", method);
            const json params = message.value("params", json::object());
            const char* field = method == "resources/read" ? "uri" : "name";
            if ((method == "tools/call" || method == "prompts/get" || method == "resources/read") &&
                params.is_object() && params.contains(field) && params[field].is_string()) {
                headers.emplace_back("Mcp-Name", header_safe(params[field].get<std::string>()));
            }
            return headers;
        }
        const std::lock_guard lock(m_mutex);
        if (!m_session_id.empty()) {
            headers.emplace_back("Mcp-Session-Id", m_session_id);
        }
        if (!m_protocol_version.empty()) {
            headers.emplace_back("MCP-Protocol-Version", m_protocol_version);
        }
        return headers;
    }

    /// POSTs one message and writes what answers it.
    /// Registers a message about to be relayed (before its worker starts, so that ending or
    /// cancelling finds it); its sequence number for forward().
    std::uint64_t begin(const json& message) {
        const std::lock_guard lock(m_mutex);
        const std::uint64_t sequence = ++m_sequence;
        auto& call = m_in_flight[sequence];
        if (message.contains("id") && message.contains("method")) {
            call.id = message["id"];
        }
        call.listen = message.value("method", "") == "subscriptions/listen";
        return sequence;
    }

    void forward(const json& message, std::uint64_t sequence) {
        const std::string method = message.value("method", "");
        const bool request = message.contains("id") && message.contains("method");
        const json id = request ? message["id"] : json();
        net::ClientRequest post;
        post.method = "POST";
        post.url = m_endpoint;
        post.headers = headers_for(message);
        post.body = message.dump();
        post.read_timeout = kRequestReadTimeout;

        std::shared_ptr<net::CancelSignal> signal;
        {
            const std::lock_guard lock(m_mutex);
            signal = m_in_flight[sequence].signal;
        }
        if (m_stopping) {
            signal->cancel(); // the hub already failed: do not try again
        }
        int status = 0;
        bool stream = false;
        bool answered = false;
        std::string session_id;
        std::string body;
        agent::SseParser parser;
        const auto relay_events = [&](const std::vector<agent::SseEvent>& events) {
            for (const auto& event : events) {
                answered = relay(event.data, id) || answered;
            }
        };
        const auto sent = m_client.stream(
            post,
            [&](const net::ClientResponseHead& head) {
                status = head.status;
                const auto type = head.headers.find("content-type");
                stream = status == 200 && type != head.headers.end() && type->second.starts_with("text/event-stream");
                if (const auto found = head.headers.find("mcp-session-id"); found != head.headers.end()) {
                    session_id = found->second;
                }
            },
            [&](std::string_view chunk) {
                if (stream) {
                    relay_events(parser.feed(chunk));
                    return true;
                }
                body.append(chunk);
                return body.size() <= kMaxBody;
            },
            signal.get());
        if (stream) {
            relay_events(parser.finish());
        }
        InFlight call;
        {
            const std::lock_guard lock(m_mutex);
            call = std::move(m_in_flight[sequence]);
            m_in_flight.erase(sequence);
        }
        if (!sent) {
            if (call.cancelled_by_client || (call.listen && m_ending)) {
                return; // nobody waits for an answer
            }
            if (m_stopping) {
                return fail_request(id, stop_reason());
            }
            const std::string why =
                fmt::format("cannot reach the atelier hub at {}: {}", m_endpoint, sent.error().message);
            fail_request(id, why);
            return fatal(why);
        }
        if (status == 401 || status == 403) {
            const std::string why =
                status == 401 ? fmt::format("the hub at {} refused the token (401 Unauthorized): check --token or "
                                            "ATELIER_TOKEN",
                                            m_endpoint)
                              : fmt::format("the hub at {} refused the request (403 Forbidden): {}", m_endpoint, body);
            fail_request(id, why);
            return fatal(why);
        }
        if (status == 202) {
            if (method == "notifications/initialized") {
                start_stream();
            }
            return;
        }
        if (stream) {
            if (request && !answered) {
                fail_request(id, "the hub ended the event stream before answering");
            }
            return;
        }
        auto answer = json::parse(body, nullptr, false);
        if (!answer.is_object() || !answer.contains("jsonrpc")) {
            if (request) {
                fail_request(id, fmt::format("the hub answered HTTP {}: {}", status, body.substr(0, 300)));
            } else if (status >= 300) {
                std::fprintf(stderr, "atelier mcp: %s: HTTP %d %s\n", method.c_str(), status,
                             body.substr(0, 300).c_str());
            }
            return;
        }
        if (method == "initialize" && status == 200 && answer.contains("result") && answer["result"].is_object()) {
            const std::lock_guard lock(m_mutex);
            m_session_id = session_id;
            m_protocol_version = answer["result"].value("protocolVersion", "");
        }
        if (!request) {
            std::fprintf(stderr, "atelier mcp: %s: HTTP %d %s\n", method.c_str(), status, answer.dump().c_str());
            return;
        }
        if (answer.contains("error") && answer["id"].is_null()) {
            answer["id"] = id; // a transport error the hub could not tie to a request
        }
        write(answer);
    }

    /// Writes one SSE message to the client; true when it is the response to `id`.
    bool relay(const std::string& data, const json& id) {
        if (data.empty()) {
            return false; // a priming event or keep-alive
        }
        auto message = json::parse(data, nullptr, false);
        if (!message.is_object()) {
            std::fprintf(stderr, "atelier mcp: the hub sent an event that is not a JSON-RPC message\n");
            return false;
        }
        write(message);
        return !id.is_null() && message.contains("id") && message["id"] == id &&
               (message.contains("result") || message.contains("error"));
    }

    void start_stream() {
        const std::lock_guard lock(m_mutex);
        if (!m_stream_thread.joinable()) {
            m_stream_thread = std::thread([this] { stream_loop(); });
        }
    }

    /// GET /mcp for the session's notifications, reconnecting (with Last-Event-ID) when it drops.
    void stream_loop() {
        std::string last_event_id;
        int failures = 0;
        while (!m_stream_stopping) {
            net::ClientRequest get;
            get.method = "GET";
            get.url = m_endpoint;
            get.read_timeout = kStreamReadTimeout;
            get.headers = {{"Authorization", "Bearer " + m_token}, {"Accept", "text/event-stream"}};
            {
                const std::lock_guard lock(m_mutex);
                get.headers.emplace_back("Mcp-Session-Id", m_session_id);
                if (!m_protocol_version.empty()) {
                    get.headers.emplace_back("MCP-Protocol-Version", m_protocol_version);
                }
            }
            if (!last_event_id.empty()) {
                get.headers.emplace_back("Last-Event-ID", last_event_id);
            }
            int status = 0;
            agent::SseParser parser;
            const auto relay_events = [&](const std::vector<agent::SseEvent>& events) {
                for (const auto& event : events) {
                    if (!event.id.empty()) {
                        last_event_id = event.id;
                    }
                    relay(event.data, nullptr);
                }
            };
            const auto received = m_client.stream(
                get, [&](const net::ClientResponseHead& head) { status = head.status; },
                [&](std::string_view chunk) {
                    if (status == 200) {
                        relay_events(parser.feed(chunk));
                    }
                    return true;
                },
                &m_stream_cancel);
            if (m_stream_stopping) {
                return;
            }
            if (received && status == 405) {
                return; // the hub offers no stream
            }
            if (received && status != 200) {
                std::fprintf(stderr,
                             "atelier mcp: the notification stream was refused (HTTP %d); no more "
                             "list_changed notifications\n",
                             status);
                return;
            }
            failures = received ? 0 : failures + 1;
            // Back off while the hub is unreachable; reconnect at once after a clean end.
            const auto wait =
                std::chrono::milliseconds(failures == 0 ? 0 : std::min(5000, 250 << std::min(failures, 5)));
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, wait, [this] { return m_stream_stopping.load(); });
        }
    }

    void stop_stream() {
        {
            const std::lock_guard lock(m_mutex);
            m_stream_stopping = true;
        }
        m_wake.notify_all();
        m_stream_cancel.cancel();
        if (m_stream_thread.joinable()) {
            m_stream_thread.join();
        }
    }

    /// DELETE the session at the end, so that the hub leaves its project at once.
    void end_session() {
        std::string session_id;
        std::string version;
        {
            const std::lock_guard lock(m_mutex);
            session_id = m_session_id;
            version = m_protocol_version;
        }
        if (session_id.empty() || m_exit != 0) {
            return;
        }
        net::ClientRequest remove;
        remove.method = "DELETE";
        remove.url = m_endpoint;
        remove.connect_timeout = std::chrono::seconds(5);
        remove.read_timeout = std::chrono::seconds(5);
        remove.headers = {{"Authorization", "Bearer " + m_token}, {"Mcp-Session-Id", session_id}};
        if (!version.empty()) {
            remove.headers.emplace_back("MCP-Protocol-Version", version);
        }
        (void)m_client.stream(
            remove, [](const net::ClientResponseHead&) {}, [](std::string_view) { return true; });
    }

    void fail_request(const json& id, const std::string& why) {
        if (!id.is_null()) {
            write(error_message(id, kInternalError, why, nullptr));
        }
    }

    void fatal(const std::string& why) {
        {
            const std::lock_guard lock(m_mutex);
            if (!m_fatal.empty()) {
                return;
            }
            m_fatal = why;
            m_exit = 1;
        }
        std::fprintf(stderr, "atelier mcp: %s\n", why.c_str());
        m_stopping = true;
        cancel_where([](const InFlight&) { return true; });
        stop_stream_async();
    }

    void stop_stream_async() {
        {
            const std::lock_guard lock(m_mutex);
            m_stream_stopping = true;
        }
        m_wake.notify_all();
        m_stream_cancel.cancel();
    }

    std::string stop_reason() {
        const std::lock_guard lock(m_mutex);
        return m_fatal.empty() ? "atelier mcp is stopping" : m_fatal;
    }

    void write(const json& message) {
        std::string line = message.dump();
        line += '\n';
        const std::lock_guard lock(m_write_mutex);
        std::size_t written = 0;
        while (written < line.size()) {
            const ssize_t n = ::write(m_output, line.data() + written, line.size() - written);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                m_stopping = true; // nobody reads our answers any more
                return;
            }
            written += static_cast<std::size_t>(n);
        }
    }

    const std::string m_endpoint;
    const std::string m_token;
    const int m_output;
    net::HttpClient m_client;
    net::CancelSignal m_stream_cancel; ///< the GET stream
    std::mutex m_mutex;
    std::mutex m_write_mutex;
    std::condition_variable m_wake;
    std::string m_session_id;
    std::string m_protocol_version;
    std::string m_fatal;
    std::map<std::uint64_t, InFlight> m_in_flight; ///< guarded by m_mutex
    std::uint64_t m_sequence = 0;                  ///< guarded by m_mutex
    std::atomic<bool> m_stopping{false};           ///< a fatal error: answer everything with it
    std::atomic<bool> m_ending{false};             ///< stdin ended
    std::atomic<bool> m_stream_stopping{false};
    std::atomic<int> m_exit{0};
    std::thread m_stream_thread;
    std::vector<Worker> m_workers;
};

} // namespace

Result<std::string> mcp_endpoint(const std::string& url) {
    auto parsed = net::Url::parse(url);
    if (!parsed) {
        return fail(parsed.error());
    }
    if (parsed->target.find('?') != std::string::npos) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("'{}': no query string, please (the token goes in --token or ATELIER_TOKEN)", url));
    }
    if (parsed->target == "/") {
        return (url.ends_with("/") ? url.substr(0, url.size() - 1) : url) + "/mcp";
    }
    return url;
}

int run_stdio_bridge(const StdioBridgeOptions& options, int input_fd, int output_fd) {
    auto endpoint = mcp_endpoint(options.url);
    if (!endpoint) {
        std::fprintf(stderr, "atelier mcp: %s\n", endpoint.error().message.c_str());
        return 2;
    }
    // A client that goes away closes our stdout: a write then fails instead of killing us.
    std::signal(SIGPIPE, SIG_IGN);
    Bridge bridge(std::move(*endpoint), options.token, output_fd);
    return bridge.run(input_fd);
}

} // namespace atelier::mcp
