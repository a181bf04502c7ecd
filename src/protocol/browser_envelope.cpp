// SPDX-License-Identifier: Apache-2.0
#include "protocol/browser_envelope.h"

namespace atelier::protocol {
namespace {

using Json = nlohmann::json;

tl::unexpected<Error> malformed(std::string_view detail) {
    return fail(ErrorCode::ProtocolError, "invalid browser message: " + std::string(detail));
}

// Reads a required, non-empty string member.
Result<std::string> required_string(const Json& object, const char* name) {
    auto it = object.find(name);
    if (it == object.end()) {
        return malformed(std::string("'") + name + "' is missing");
    }
    if (!it->is_string()) {
        return malformed(std::string("'") + name + "' must be a string, not " + it->type_name());
    }
    if (it->get_ref<const std::string&>().empty()) {
        return malformed(std::string("'") + name + "' must not be empty");
    }
    return it->get<std::string>();
}

} // namespace

Result<BrowserEnvelope> parse_browser_envelope(std::string_view frame) {
    Json value = Json::parse(frame, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        return malformed("the frame is not valid JSON");
    }
    if (!value.is_object()) {
        return malformed(std::string("expected a JSON object, not ") + value.type_name());
    }
    BrowserEnvelope envelope;
    envelope.type = ATELIER_TRY(required_string(value, "type"));
    envelope.id = ATELIER_TRY(required_string(value, "id"));
    if (auto payload = value.find("payload"); payload != value.end()) {
        if (!payload->is_object()) {
            return malformed(std::string("'payload' must be an object, not ") + payload->type_name());
        }
        envelope.payload = std::move(*payload);
    }
    if (auto re = value.find("re"); re != value.end()) {
        if (!re->is_string()) {
            return malformed(std::string("'re' must be a string, not ") + re->type_name());
        }
        envelope.re = re->get<std::string>();
    }
    return envelope;
}

std::string serialize_browser_envelope(const BrowserEnvelope& envelope) {
    Json value{{"type", envelope.type}, {"id", envelope.id}, {"payload", envelope.payload}};
    if (envelope.re) {
        value["re"] = *envelope.re;
    }
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace atelier::protocol
