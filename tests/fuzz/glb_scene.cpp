// SPDX-License-Identifier: Apache-2.0
// The glTF reader of version diffs (api/glb_scene.h): two scene.glb files from a project's
// history, which anyone who can upload may have written. The input is split at its first byte's
// share of the rest into "before" and "after". Properties: never a crash; a result always has the
// four sorted name lists; a scene compared with itself has no changes.
#include <algorithm>

#include "api/glb_scene.h"
#include "fuzz_check.h"

using namespace atelier;

namespace {

void check_shape(const nlohmann::json& changes) {
    for (const char* key : {"added", "removed", "moved", "rematerialed"}) {
        ATELIER_FUZZ_CHECK(changes.contains(key) && changes[key].is_array());
        ATELIER_FUZZ_CHECK(std::is_sorted(changes[key].begin(), changes[key].end()));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view rest = atelier::fuzz::as_text(data + 1, size - 1);
    const std::size_t split = rest.size() * data[0] / 255;
    const std::string_view before = rest.substr(0, split);
    const std::string_view after = rest.substr(split);
    if (const auto changes = api::glb_object_changes(before, after)) {
        check_shape(*changes);
    }
    if (const auto same = api::glb_object_changes(after, after)) {
        check_shape(*same);
        for (const char* key : {"added", "removed", "moved", "rematerialed"}) {
            ATELIER_FUZZ_CHECK((*same)[key].empty());
        }
    }
    return 0;
}
