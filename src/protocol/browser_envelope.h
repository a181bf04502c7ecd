// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace atelier::protocol {

/// One text message between a browser and the hub (DESIGN §4):
/// `{"type": "message:send", "id": "<uuid>", "payload": {...}, "re": "<id>"?}`.
struct BrowserEnvelope {
    std::string type;                                  ///< e.g. "session:start"; non-empty
    std::string id;                                    ///< unique per sender; non-empty
    nlohmann::json payload = nlohmann::json::object(); ///< always an object
    std::optional<std::string> re;                     ///< on replies: the id of the message answered
};

/// Parses one text frame. Fails with ProtocolError naming the field when the frame is not JSON,
/// not an object, or `type`/`id` are missing, not strings or empty, `payload` is present but not an
/// object, or `re` is present but not a string. A missing `payload` reads as `{}`; unknown members
/// are ignored. Never throws.
[[nodiscard]] Result<BrowserEnvelope> parse_browser_envelope(std::string_view frame);

/// The envelope as JSON text; `re` is written only when set.
[[nodiscard]] std::string serialize_browser_envelope(const BrowserEnvelope& envelope);

} // namespace atelier::protocol
