// SPDX-License-Identifier: Apache-2.0
#include "mcp/event_stream.h"

#include <charconv>

#include <nlohmann/json.hpp>

namespace atelier::mcp {

void EventStream::attach(const std::shared_ptr<net::SseStream>& stream, std::string_view last_event_id) {
    std::shared_ptr<net::SseStream> previous;
    {
        const std::lock_guard lock(m_mutex);
        if (m_closed) {
            stream->close();
            return;
        }
        previous = std::exchange(m_stream, stream);
        std::uint64_t after = 0;
        const auto parsed = std::from_chars(last_event_id.data(), last_event_id.data() + last_event_id.size(), after);
        if (!last_event_id.empty() && parsed.ec == std::errc() &&
            parsed.ptr == last_event_id.data() + last_event_id.size()) {
            for (const auto& [id, data] : m_recent) {
                if (id > after) {
                    stream->send("message", data, std::to_string(id));
                }
            }
        }
    }
    if (previous) {
        previous->close();
    }
    // Forget the stream once its client is gone (unless a newer one replaced it meanwhile).
    stream->on_close([weak_self = weak_from_this(), weak = std::weak_ptr<net::SseStream>(stream)] {
        auto self = weak_self.lock();
        if (!self) {
            return;
        }
        const std::lock_guard lock(self->m_mutex);
        if (self->m_stream && self->m_stream == weak.lock()) {
            self->m_stream.reset();
        }
    });
}

void EventStream::publish(const nlohmann::json& message) {
    const std::lock_guard lock(m_mutex);
    if (m_closed) {
        return;
    }
    const std::uint64_t id = ++m_last_id;
    std::string data = message.dump();
    if (m_stream) {
        m_stream->send("message", data, std::to_string(id));
    }
    m_recent.emplace_back(id, std::move(data));
    if (m_recent.size() > kRecent) {
        m_recent.pop_front();
    }
}

void EventStream::close() {
    std::shared_ptr<net::SseStream> stream;
    {
        const std::lock_guard lock(m_mutex);
        m_closed = true;
        stream = std::move(m_stream);
        m_recent.clear();
    }
    if (stream) {
        stream->close();
    }
}

void EventStream::drop() {
    std::shared_ptr<net::SseStream> stream;
    {
        const std::lock_guard lock(m_mutex);
        stream = std::move(m_stream);
    }
    if (stream) {
        stream->close();
    }
}

bool EventStream::open() const {
    const std::lock_guard lock(m_mutex);
    return m_stream != nullptr;
}

} // namespace atelier::mcp
