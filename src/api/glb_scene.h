// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace atelier::api {

/// What changed between two binary glTF scenes, object by object (glTF nodes by name), read from
/// the JSON chunk alone: `{"added", "removed", "moved", "rematerialed"}`, each a sorted list of
/// names. `moved`: translation, rotation, scale or matrix differ; `rematerialed`: the materials of
/// its mesh differ. An empty side (`{}`) is a scene without objects (an added or deleted file).
/// InvalidArgument when a side is not a binary glTF.
[[nodiscard]] Result<nlohmann::json> glb_object_changes(std::string_view before, std::string_view after);

} // namespace atelier::api
