// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

namespace atelier::net {

/// What one connection still has to send: text messages in order, bounded by bytes, and one
/// latest-wins slot for binary frames. Not thread-safe: owned by a connection's strand.
class SendQueue {
public:
    explicit SendQueue(std::size_t max_text_bytes) : m_max_text_bytes(max_text_bytes) {}

    enum class PushResult { Queued, Overflow };
    /// Queues a text message unless that would pass the byte bound (then nothing is queued).
    [[nodiscard]] PushResult push_text(std::string message);
    /// Replaces any unsent binary frame. Returns true when an older frame was dropped.
    bool set_binary(std::string message);

    struct Frame {
        std::string data;
        bool is_text = true;
    };
    /// The next frame to write: queued text first (it is small and ordered), then the binary slot.
    [[nodiscard]] std::optional<Frame> pop();
    void clear();
    /// Forgets an unsent binary frame (a closing connection sends only its queued text).
    void drop_binary() { m_binary.reset(); }
    [[nodiscard]] bool empty() const { return m_text.empty() && !m_binary; }
    [[nodiscard]] std::size_t queued_text_bytes() const { return m_text_bytes; }

private:
    std::size_t m_max_text_bytes;
    std::size_t m_text_bytes = 0;
    std::deque<std::string> m_text;
    std::optional<std::string> m_binary;
};

} // namespace atelier::net
