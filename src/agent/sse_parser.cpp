// SPDX-License-Identifier: Apache-2.0
#include "agent/sse_parser.h"

namespace atelier::agent {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
    std::vector<SseEvent> out;
    for (const char c : bytes) {
        if (m_after_cr) {
            m_after_cr = false;
            if (c == '\n') {
                continue; // the second half of "\r\n"
            }
        }
        if (c == '\r' || c == '\n') {
            m_after_cr = c == '\r';
            line(m_line, out);
            m_line.clear();
            continue;
        }
        m_line += c;
    }
    return out;
}

std::vector<SseEvent> SseParser::finish() {
    std::vector<SseEvent> out;
    if (!m_line.empty()) {
        line(m_line, out);
        m_line.clear();
    }
    line("", out);
    return out;
}

void SseParser::line(std::string_view text, std::vector<SseEvent>& out) {
    if (text.empty()) {
        if (m_has_data) {
            out.push_back(std::move(m_event));
        }
        m_event = SseEvent{};
        m_has_data = false;
        return;
    }
    if (text.front() == ':') {
        return; // a comment, e.g. a keep-alive
    }
    std::string_view field = text;
    std::string_view value;
    if (const auto colon = text.find(':'); colon != std::string_view::npos) {
        field = text.substr(0, colon);
        value = text.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') {
            value.remove_prefix(1);
        }
    }
    if (field == "data") {
        if (m_has_data) {
            m_event.data += '\n';
        }
        m_event.data += value;
        m_has_data = true;
    } else if (field == "event") {
        m_event.event = value.empty() ? "message" : std::string(value);
    } else if (field == "id") {
        m_event.id = std::string(value);
    }
}

} // namespace atelier::agent
