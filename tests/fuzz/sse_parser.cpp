// SPDX-License-Identifier: Apache-2.0
// A model server's event stream (agent/sse_parser.h). The parser is incremental, so the property
// is differential: the same bytes fed at once, one byte at a time, and in chunks cut where the
// input's own bytes say, give the same events.
#include <vector>

#include "agent/sse_parser.h"
#include "fuzz_check.h"

using atelier::agent::SseEvent;
using atelier::agent::SseParser;

namespace {

std::vector<SseEvent> feed_in_chunks(std::string_view bytes, std::size_t (*next_cut)(std::string_view, std::size_t)) {
    SseParser parser;
    std::vector<SseEvent> events;
    std::size_t at = 0;
    while (at < bytes.size()) {
        const std::size_t length = std::min(next_cut(bytes, at), bytes.size() - at);
        for (auto& event : parser.feed(bytes.substr(at, length))) {
            events.push_back(std::move(event));
        }
        at += length;
    }
    for (auto& event : parser.finish()) {
        events.push_back(std::move(event));
    }
    return events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes = atelier::fuzz::as_text(data, size);
    const auto whole = feed_in_chunks(bytes, [](std::string_view text, std::size_t) { return text.size() + 1; });
    const auto single = feed_in_chunks(bytes, [](std::string_view, std::size_t) -> std::size_t { return 1; });
    const auto cut = feed_in_chunks(bytes, [](std::string_view text, std::size_t at) -> std::size_t {
        return 1 + static_cast<unsigned char>(text[at]) % 7;
    });
    ATELIER_FUZZ_CHECK(whole == single);
    ATELIER_FUZZ_CHECK(whole == cut);
    for (const auto& event : whole) {
        ATELIER_FUZZ_CHECK(!event.event.empty());
    }
    return 0;
}
