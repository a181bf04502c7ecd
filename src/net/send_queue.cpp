// SPDX-License-Identifier: Apache-2.0
#include "net/send_queue.h"

namespace atelier::net {

SendQueue::PushResult SendQueue::push_text(std::string message) {
    if (m_text_bytes + message.size() > m_max_text_bytes) {
        return PushResult::Overflow;
    }
    m_text_bytes += message.size();
    m_text.push_back(std::move(message));
    return PushResult::Queued;
}

bool SendQueue::set_binary(std::string message) {
    const bool dropped = m_binary.has_value();
    m_binary = std::move(message);
    return dropped;
}

std::optional<SendQueue::Frame> SendQueue::pop() {
    if (!m_text.empty()) {
        Frame frame{std::move(m_text.front()), true};
        m_text.pop_front();
        m_text_bytes -= frame.data.size();
        return frame;
    }
    if (m_binary) {
        Frame frame{std::move(*m_binary), false};
        m_binary.reset();
        return frame;
    }
    return std::nullopt;
}

void SendQueue::clear() {
    m_text.clear();
    m_text_bytes = 0;
    m_binary.reset();
}

} // namespace atelier::net
