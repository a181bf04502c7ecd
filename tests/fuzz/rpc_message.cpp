// SPDX-License-Identifier: Apache-2.0
// A JSON-RPC 2.0 frame from an engine or an MCP client (protocol/rpc_message.h). Properties: the
// parser never throws; an accepted message serializes and parses back to the same text; a
// refused one yields an error response that is itself a valid JSON-RPC response.
#include <variant>

#include "fuzz_check.h"
#include "protocol/rpc_message.h"

using namespace atelier::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto message = parse_rpc_message(atelier::fuzz::as_text(data, size));
    if (!message) {
        const auto& failure = message.error();
        ATELIER_FUZZ_CHECK(failure.error.code == -32700 || failure.error.code == -32600);
        ATELIER_FUZZ_CHECK(!failure.to_error().message.empty());
        auto answer = parse_rpc_message(serialize_error(failure.id, failure.error));
        ATELIER_FUZZ_CHECK(answer.has_value() && std::holds_alternative<RpcResponse>(*answer));
        ATELIER_FUZZ_CHECK(std::get<RpcResponse>(*answer).is_error());
        return 0;
    }
    const std::string text = serialize_rpc_message(*message);
    auto again = parse_rpc_message(text);
    ATELIER_FUZZ_CHECK(again.has_value());
    ATELIER_FUZZ_CHECK(again->index() == message->index());
    ATELIER_FUZZ_CHECK(serialize_rpc_message(*again) == text);
    if (const auto* request = std::get_if<RpcRequest>(&*message)) {
        ATELIER_FUZZ_CHECK(!request->method.empty() && !rpc_id_to_string(request->id).empty());
    }
    return 0;
}
