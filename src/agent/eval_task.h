// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace atelier::agent {

/// One creative task of the `atelier eval` suite (docs/agent.md): a prompt for a fresh project of
/// one engine kind, and what the result must show. Read from `eval/tasks/<id>.json`:
///
///     {"id": "red_cube", "engine": "blender", "prompt": "…", "timeout_s": 600,
///      "checks": {"objects": [{"name": "cube", "type": "mesh", "material": "red", "animated": true, "min": 1}],
///                 "object_count": {"min": 1, "max": 20}, "camera": true, "lights": {"min": 1},
///                 "frames": {"min": 48}, "files": ["src/Title.tsx"],
///                 "render": {"kind": "still" | "video", "not_blank": true}}}
///
/// `name` and `material` match case-insensitively as substrings; every check is optional.
struct EvalTask {
    std::string id;
    std::string engine;
    std::string prompt;
    int timeout_s = 900;
    nlohmann::json checks = nlohmann::json::object();
    std::filesystem::path file;
};

/// Parses one task; InvalidArgument names the file and the first problem (an unknown check
/// included, so a typo cannot pass silently).
[[nodiscard]] Result<EvalTask> parse_eval_task(const nlohmann::json& json, const std::filesystem::path& file);
/// Every `*.json` in `directory` (sorted by name), or the one file given.
[[nodiscard]] Result<std::vector<EvalTask>> load_eval_tasks(const std::filesystem::path& path);

/// A file the result produced, as the hub lists it (GET /api/projects/{id}/renders).
struct EvalRender {
    std::string name;
    std::int64_t size = 0;
    std::optional<bool> blank; ///< for pictures that were read: every pixel (nearly) the same colour
};

/// One check's verdict, in words a person can act on.
struct CheckOutcome {
    std::string check;
    bool passed = false;
    std::string detail;
};

/// Checks `scene` (the engine's last scene summary) and `renders` against the task.
[[nodiscard]] std::vector<CheckOutcome> check_eval_result(const EvalTask& task, const nlohmann::json& scene,
                                                          const std::vector<EvalRender>& renders);

/// Whether a PNG is blank: every pixel within a small tolerance of the first one, per channel.
/// Reads 8- and 16-bit grey, grey+alpha, RGB and RGBA, non-interlaced. InvalidArgument for what
/// is not such a PNG.
[[nodiscard]] Result<bool> png_is_blank(std::string_view png);

} // namespace atelier::agent
