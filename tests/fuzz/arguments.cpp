// SPDX-License-Identifier: Apache-2.0
// A tool call's arguments (from the model or an MCP client) checked against the schemas of the
// test manifests. The first byte picks the tool, the rest is the arguments' JSON. Properties:
// validate never throws, reports errors sorted by pointer with a message each, and gives the same
// answer twice.
#include "atelier/source_dir.h"
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "registry/registry.h"

using namespace atelier::registry;
namespace fs = std::filesystem;

namespace {

std::vector<std::shared_ptr<const Tool>> g_tools;
std::unique_ptr<Registry> g_registry;

nlohmann::json read_json(const fs::path& file) {
    std::ifstream stream(file);
    return nlohmann::json::parse(stream, nullptr, false);
}

// Every manifest the registry tests accept: the validation cases' manifests, the valid manifest
// cases and the test engine's manifests.
nlohmann::json test_manifests() {
    const fs::path source(ATELIER_SOURCE_DIR);
    nlohmann::json manifests = nlohmann::json::array();
    for (const auto& entry : fs::directory_iterator(source / "tests/registry/validation")) {
        auto document = read_json(entry.path());
        if (document.is_object() && document.contains("manifest")) {
            manifests.push_back(document["manifest"]);
        }
    }
    for (const auto* folder : {"tests/registry/manifests/valid", "tests/engine/manifests"}) {
        for (const auto& entry : fs::directory_iterator(source / folder)) {
            const auto name = entry.path().filename().string();
            if (entry.path().extension() == ".json" && name.find(".expected.") == std::string::npos) {
                manifests.push_back(read_json(entry.path()));
            }
        }
    }
    return manifests;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g_registry = std::make_unique<Registry>();
    // Manifests that share an addon id are rejected after the first: the tools left are distinct.
    if (!g_registry->update(test_manifests())) {
        std::abort();
    }
    g_tools = g_registry->snapshot()->tools;
    if (g_tools.empty()) {
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const auto& tool = *g_tools[data[0] % g_tools.size()];
    const auto arguments = nlohmann::json::parse(atelier::fuzz::as_text(data + 1, size - 1), nullptr, false);
    if (arguments.is_discarded()) {
        return 0;
    }
    const auto errors = tool.validate(arguments);
    ATELIER_FUZZ_CHECK(std::is_sorted(errors.begin(), errors.end(),
                                      [](const auto& a, const auto& b) { return a.pointer < b.pointer; }));
    for (const auto& error : errors) {
        ATELIER_FUZZ_CHECK(!error.message.empty());
    }
    ATELIER_FUZZ_CHECK(to_json(tool.validate(arguments)) == to_json(errors));
    return 0;
}
