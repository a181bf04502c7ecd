// SPDX-License-Identifier: Apache-2.0
// An addon_ai.json document from an engine's tools/update (docs/manifest.md), through the
// registry: parse_manifest, the tool schemas built from it and their validators. Properties:
// nothing throws; each manifest is accepted or rejected with at least one error whose pointer is
// a JSON Pointer; every accepted tool validates an empty call without crashing.
#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "registry/manifest_parser.h"
#include "registry/registry.h"

using namespace atelier::registry;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto document = nlohmann::json::parse(atelier::fuzz::as_text(data, size), nullptr, false);
    if (document.is_discarded()) {
        return 0;
    }
    auto parsed = parse_manifest(document);
    if (!parsed) {
        ATELIER_FUZZ_CHECK(!parsed.error().empty());
    }
    Registry registry;
    auto outcome = registry.update(nlohmann::json::array({document}));
    ATELIER_FUZZ_CHECK(outcome.has_value());
    ATELIER_FUZZ_CHECK(outcome->accepted + outcome->rejected.size() == 1);
    ATELIER_FUZZ_CHECK(parsed.has_value() || outcome->accepted == 0);
    for (const auto& rejected : outcome->rejected) {
        ATELIER_FUZZ_CHECK(!rejected.errors.empty());
        for (const auto& error : rejected.errors) {
            ATELIER_FUZZ_CHECK(error.pointer.empty() || error.pointer.front() == '/');
            ATELIER_FUZZ_CHECK(!error.message.empty());
        }
        (void)rejected.to_json().dump();
    }
    for (const auto& tool : registry.snapshot()->tools) {
        (void)tool->validate(nlohmann::json::object());
        (void)tool->to_json().dump();
    }
    return 0;
}
