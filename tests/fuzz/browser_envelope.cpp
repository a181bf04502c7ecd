// SPDX-License-Identifier: Apache-2.0
// A browser WebSocket text frame (DESIGN §4). Properties: parse_browser_envelope never throws or
// crashes; what it accepts serializes and parses back to the same envelope.
#include "protocol/browser_envelope.h"
#include "fuzz_check.h"

using namespace atelier::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto envelope = parse_browser_envelope(atelier::fuzz::as_text(data, size));
    if (!envelope) {
        ATELIER_FUZZ_CHECK(!envelope.error().message.empty());
        return 0;
    }
    ATELIER_FUZZ_CHECK(!envelope->type.empty() && !envelope->id.empty() && envelope->payload.is_object());
    auto again = parse_browser_envelope(serialize_browser_envelope(*envelope));
    ATELIER_FUZZ_CHECK(again.has_value());
    ATELIER_FUZZ_CHECK(again->type == envelope->type && again->id == envelope->id && again->re == envelope->re &&
                       again->payload == envelope->payload);
    return 0;
}
