// SPDX-License-Identifier: Apache-2.0
// A binary viewport frame from an engine (protocol/frame_header.h). Properties: decoding never
// reads past the input; an accepted header has a known codec and non-zero dimensions, and encodes
// back to the same 16 bytes except the reserved ones (written as zero).
#include <cstring>

#include "fuzz_check.h"
#include "protocol/frame_header.h"

using namespace atelier::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view frame = atelier::fuzz::as_text(data, size);
    auto header = decode_frame_header(frame);
    if (!header) {
        return 0;
    }
    ATELIER_FUZZ_CHECK(size >= kFrameHeaderSize && header->width > 0 && header->height > 0);
    ATELIER_FUZZ_CHECK(!frame_codec_mime_type(header->codec).empty());
    const auto encoded = encode_frame_header(*header);
    ATELIER_FUZZ_CHECK(std::memcmp(encoded.data(), data, 13) == 0);
    ATELIER_FUZZ_CHECK(encoded[13] == 0 && encoded[14] == 0 && encoded[15] == 0);
    const std::string whole = encode_frame(*header, frame.substr(kFrameHeaderSize));
    ATELIER_FUZZ_CHECK(whole.size() == size &&
                       whole.compare(kFrameHeaderSize, std::string::npos, frame.substr(kFrameHeaderSize)) == 0);
    return 0;
}
