// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "store/project_repo.h"
#include "store/records.h"

namespace atelier::api {

// How store records look on the wire (docs/api.md). Timestamps are milliseconds since the Unix
// epoch, as the store keeps them.

[[nodiscard]] nlohmann::json to_json(const store::Project& project);
[[nodiscard]] nlohmann::json to_json(const store::Message& message);
[[nodiscard]] nlohmann::json to_json(const store::User& user);
/// A version row with the files its commit changed (empty when the commit is not in the repo).
[[nodiscard]] nlohmann::json to_json(const store::Version& version, const std::vector<store::FileChange>& changes);

/// `{"items": [...], "next_cursor": "..." | null}`.
template <class T> [[nodiscard]] nlohmann::json page_json(const store::Page<T>& page);

} // namespace atelier::api
