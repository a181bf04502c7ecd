// SPDX-License-Identifier: Apache-2.0
// What an MCP client sends besides the JSON-RPC envelope: stateless session ids are base64
// (mcp/json_rpc.h, read by mcp/stateless.cpp), and the protocol version it asks for. Properties:
// base64_decode never reads out of bounds; what it decodes encodes back and decodes to the same
// bytes; the version check never throws.
#include "fuzz_check.h"
#include "mcp/json_rpc.h"

using namespace atelier::mcp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = atelier::fuzz::as_text(data, size);
    (void)supported_protocol_version(text);
    std::string decoded;
    if (!base64_decode(text, decoded)) {
        return 0;
    }
    const std::string encoded = base64(decoded);
    std::string again;
    ATELIER_FUZZ_CHECK(base64_decode(encoded, again));
    ATELIER_FUZZ_CHECK(again == decoded);
    return 0;
}
