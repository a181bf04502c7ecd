// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace atelier::agent {

/// One server-sent event (HTML Living Standard §9.2): its `event:` name ("message" when none was
/// given) and its `data:` lines joined by "\n".
struct SseEvent {
    std::string event = "message";
    std::string data;
    std::string id;

    friend bool operator==(const SseEvent&, const SseEvent&) = default;
};

/// Incremental SSE decoder: bytes in (split anywhere, even inside a "\r\n"), complete events out.
/// Comments (`:` lines) are skipped; `retry:` is ignored; a blank line dispatches the event when
/// it has data. Pure: no I/O, no clock.
class SseParser {
public:
    /// Events completed by these bytes, in order.
    [[nodiscard]] std::vector<SseEvent> feed(std::string_view bytes);
    /// At the end of the stream: the last event when the server did not end it with a blank line.
    [[nodiscard]] std::vector<SseEvent> finish();

private:
    void line(std::string_view text, std::vector<SseEvent>& out);

    std::string m_line;
    bool m_after_cr = false; ///< the previous byte was '\r': a following '\n' belongs to it
    SseEvent m_event;
    bool m_has_data = false;
};

} // namespace atelier::agent
