// SPDX-License-Identifier: Apache-2.0
#pragma once

// Test helpers for /mcp: raw JSON-RPC over HTTP, and an SSE reader that follows a stream (the GET
// stream, a streamed tools/call, a subscriptions/listen) on its own thread.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/sse_parser.h"
#include "net/http_client.h"

namespace atelier::testing {

/// One HTTP request whose answer is read as it arrives; every SSE event is kept in order.
class SseReader {
public:
    SseReader(std::uint16_t port, const std::string& method, const std::map<std::string, std::string>& headers,
              std::string body = {}) {
        net::ClientRequest request;
        request.method = method;
        request.url = fmt::format("http://127.0.0.1:{}/mcp", port);
        for (const auto& [name, value] : headers) {
            request.headers.emplace_back(name, value);
        }
        request.body = std::move(body);
        m_thread = std::thread([this, request = std::move(request)] { run(request); });
    }
    ~SseReader() { close(); }
    SseReader(const SseReader&) = delete;
    SseReader& operator=(const SseReader&) = delete;

    /// The status (0 when the request failed), once the head arrived.
    int status(std::chrono::seconds timeout = std::chrono::seconds(30)) {
        std::unique_lock lock(m_mutex);
        m_changed.wait_for(lock, timeout, [this] { return m_head || m_ended; });
        return m_status;
    }
    std::string header(const std::string& name) {
        std::unique_lock lock(m_mutex);
        m_changed.wait_for(lock, std::chrono::seconds(30), [this] { return m_head || m_ended; });
        const auto found = m_headers.find(name);
        return found == m_headers.end() ? std::string() : found->second;
    }

    /// The next event (in arrival order) whose JSON message has `method` (or, with an empty
    /// method, any message); null json when none comes within `timeout` or the stream ended.
    nlohmann::json next(const std::string& method = {}, std::chrono::seconds timeout = std::chrono::seconds(60)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::unique_lock lock(m_mutex);
        while (true) {
            while (m_read < m_events.size()) {
                const auto& event = m_events[m_read++];
                if (method.empty() || event.message.value("method", "") == method) {
                    m_last_id = event.id;
                    return event.message;
                }
            }
            if (m_ended ||
                !m_changed.wait_until(lock, deadline, [this] { return m_read < m_events.size() || m_ended; })) {
                if (m_read >= m_events.size()) {
                    return nullptr; // ended, or nothing more within the timeout
                }
            }
        }
    }
    /// The SSE id of the event next() returned last.
    std::string last_id() {
        const std::lock_guard lock(m_mutex);
        return m_last_id;
    }
    /// Waits for the server to end the stream; true when it did within `timeout`.
    bool wait_end(std::chrono::seconds timeout = std::chrono::seconds(30)) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, timeout, [this] { return m_ended; });
    }
    void close() {
        m_cancel.cancel();
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }

private:
    struct Event {
        std::string id;
        nlohmann::json message;
    };

    void run(const net::ClientRequest& request) {
        agent::SseParser parser;
        const auto keep = [this](const std::vector<agent::SseEvent>& events) {
            const std::lock_guard lock(m_mutex);
            for (const auto& event : events) {
                auto message = nlohmann::json::parse(event.data, nullptr, false);
                m_events.push_back({event.id, message.is_discarded() ? nlohmann::json(event.data) : message});
            }
            m_changed.notify_all();
        };
        (void)net::http_stream(
            request,
            [this](const net::ClientResponseHead& head) {
                const std::lock_guard lock(m_mutex);
                m_status = head.status;
                m_headers = head.headers;
                m_head = true;
                m_changed.notify_all();
            },
            [&](std::string_view chunk) {
                keep(parser.feed(chunk));
                return true;
            },
            &m_cancel);
        keep(parser.finish());
        const std::lock_guard lock(m_mutex);
        m_ended = true;
        m_changed.notify_all();
    }

    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Event> m_events;
    std::size_t m_read = 0;
    std::string m_last_id;
    int m_status = 0;
    std::map<std::string, std::string> m_headers;
    bool m_head = false;
    bool m_ended = false;
    net::CancelSignal m_cancel;
    std::thread m_thread;
};

inline constexpr const char* kMcpVersion = "2025-11-25";

/// The headers of a request to /mcp: `authorization` (e.g. "Bearer <token>"), JSON in, JSON or SSE
/// out; with a `session`, its Mcp-Session-Id and the protocol version.
inline std::map<std::string, std::string> mcp_headers(const std::string& authorization, const std::string& session) {
    std::map<std::string, std::string> result{{"Authorization", authorization},
                                              {"Content-Type", "application/json"},
                                              {"Accept", "application/json, text/event-stream"}};
    if (!session.empty()) {
        result["Mcp-Session-Id"] = session;
        result["MCP-Protocol-Version"] = kMcpVersion;
    }
    return result;
}

/// The SSE events of a complete body, as JSON messages.
inline std::vector<nlohmann::json> sse_messages(const std::string& body) {
    agent::SseParser parser;
    auto events = parser.feed(body);
    for (auto& event : parser.finish()) {
        events.push_back(std::move(event));
    }
    std::vector<nlohmann::json> messages;
    for (const auto& event : events) {
        messages.push_back(nlohmann::json::parse(event.data, nullptr, false));
    }
    return messages;
}

} // namespace atelier::testing
