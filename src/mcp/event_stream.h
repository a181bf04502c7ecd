// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "net/sse_stream.h"

namespace atelier::mcp {

/// The server-to-client stream of one MCP session (`GET /mcp`). Every message gets the next event
/// id; the last kRecent are kept, so a client that reconnects with `Last-Event-ID` gets what it
/// missed. One open stream per session: a new GET replaces the previous stream (a client that
/// reconnects may not have seen its old connection die). Thread-safe; held by shared_ptr.
class EventStream : public std::enable_shared_from_this<EventStream> {
public:
    static constexpr std::size_t kRecent = 64;

    /// Makes `stream` the session's stream; replays the kept messages after `last_event_id`.
    void attach(const std::shared_ptr<net::SseStream>& stream, std::string_view last_event_id);
    /// Sends `message` when a stream is open; keeps it for a reconnect either way.
    void publish(const nlohmann::json& message);
    /// Ends the open stream (the session ended).
    void close();
    /// Ends the open stream but not the session's: a later GET attaches again (the client
    /// re-opens it, e.g. through a hub that forwards it elsewhere).
    void drop();
    /// Whether a stream is open (tests and logs).
    [[nodiscard]] bool open() const;

private:
    mutable std::mutex m_mutex;
    std::shared_ptr<net::SseStream> m_stream;
    std::uint64_t m_last_id = 0;
    std::deque<std::pair<std::uint64_t, std::string>> m_recent;
    bool m_closed = false;
};

} // namespace atelier::mcp
