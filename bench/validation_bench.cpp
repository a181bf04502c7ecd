// SPDX-License-Identifier: Apache-2.0
// The cost of validating one tool call's arguments in the hub (registry::Tool::validate, valijson
// with a schema compiled once), for a tool with 10 parameters of mixed types.

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "registry/registry.h"

namespace {

using nlohmann::json;

const json kManifest = json::parse(R"({
  "addon_info": {"id": "bench", "name": "Bench", "version": "1.0.0"},
  "ai_integration": {"tools": [{
    "name": "ten", "description": "A tool with ten parameters",
    "parameters": [
      {"name": "name", "type": "string", "required": true, "description": "Name"},
      {"name": "shape", "type": "enum", "options": ["cube", "sphere", "cone", "torus"], "required": true, "description": "Shape"},
      {"name": "location", "type": "vector3", "default": [0, 0, 0], "description": "Where"},
      {"name": "rotation", "type": "vector3", "default": [0, 0, 0], "description": "Rotation"},
      {"name": "size", "type": "float", "min": 0.001, "max": 1000, "default": 2, "description": "Size"},
      {"name": "segments", "type": "integer", "min": 3, "max": 256, "default": 32, "description": "Segments"},
      {"name": "smooth", "type": "boolean", "default": false, "description": "Smooth shading"},
      {"name": "color", "type": "color", "default": "#ffffff", "description": "Colour"},
      {"name": "material", "type": "material_name", "description": "Material"},
      {"name": "extra", "type": "dict", "description": "Anything else"}
    ]}]}})");

const json kValid = json::parse(R"({"name": "Cube.001", "shape": "cube", "location": [1, 2, 3],
  "rotation": [0, 0, 1.57], "size": 2.5, "segments": 48, "smooth": true, "color": "#ff8800",
  "material": "Red", "extra": {"note": "hi"}})");

const json kInvalid = json::parse(R"({"shape": "pyramid", "location": [1, 2], "size": 5000,
  "segments": 2, "smooth": "yes", "color": "orange", "colour": 1})");

std::shared_ptr<const atelier::registry::Tool> make_tool() {
    static atelier::registry::Registry registry;
    static const bool updated = registry.update(json::array({kManifest})).has_value();
    (void)updated;
    return registry.find("bench__ten");
}

void ValidateTenParametersValid(benchmark::State& state) {
    const auto tool = make_tool();
    for (auto _ : state) {
        auto errors = tool->validate(kValid);
        benchmark::DoNotOptimize(errors);
    }
}
BENCHMARK(ValidateTenParametersValid)->Unit(benchmark::kMicrosecond);

void ValidateTenParametersInvalid(benchmark::State& state) {
    const auto tool = make_tool();
    for (auto _ : state) {
        auto errors = tool->validate(kInvalid);
        benchmark::DoNotOptimize(errors);
    }
}
BENCHMARK(ValidateTenParametersInvalid)->Unit(benchmark::kMicrosecond);

// The floor: parsing the same arguments from text, which every call pays anyway.
void ParseArgumentsFloor(benchmark::State& state) {
    const std::string text = kValid.dump();
    for (auto _ : state) {
        auto parsed = json::parse(text);
        benchmark::DoNotOptimize(parsed);
    }
}
BENCHMARK(ParseArgumentsFloor)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
