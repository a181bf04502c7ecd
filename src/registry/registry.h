// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "registry/manifest.h"
#include "registry/tool.h"
#include "registry/validation_error.h"

namespace atelier::registry {

/// An accepted addon: what the agent's system prompt needs, and the names of its tools.
struct AddonEntry {
    AddonInfo info;
    std::string agent_description;
    std::vector<std::string> context_hints;
    nlohmann::json requirements = nlohmann::json::object();
    nlohmann::json metadata = nlohmann::json::object();
    std::vector<std::string> tool_names; ///< provider names, in declaration order
};

/// A manifest the registry refused, with every reason. Pointers are relative to the manifest.
struct RejectedManifest {
    std::size_t index = 0; ///< position in the `addons` array of the update
    std::string addon_id;  ///< `addon_info.id` when it could be read, else ""
    std::vector<ValidationError> errors;

    /// `{index, addon_id, errors: [{pointer, message}]}` for `GET /api/engines` and the engine log.
    [[nodiscard]] nlohmann::json to_json() const;
};

/// One immutable state of a registry. Readers hold it by shared_ptr, so an update never changes
/// what a running turn sees.
struct RegistrySnapshot {
    std::uint64_t version = 0;                      ///< 0 before the first update; +1 on every change
    std::vector<AddonEntry> addons;                 ///< accepted addons, in update order
    std::vector<std::shared_ptr<const Tool>> tools; ///< every tool of every accepted addon, by provider name
    std::vector<RejectedManifest> rejected;

    /// The tool with this provider name, or null.
    [[nodiscard]] std::shared_ptr<const Tool> find(std::string_view provider_name) const;

    /// The provider names of all tools, sorted (for "unknown tool; valid names are ...").
    [[nodiscard]] std::vector<std::string> tool_names() const;
};

/// What one update() did.
struct UpdateOutcome {
    bool changed = false; ///< false when the addons were identical to the current set
    std::uint64_t version = 0;
    std::size_t accepted = 0;
    std::vector<RejectedManifest> rejected;
};

/// The tools one engine offers (DESIGN §3). Each `tools/update` notification replaces the whole set.
///
/// Thread-safety: every member may be called from any thread. update() calls are serialized;
/// listeners run on the thread that called update(), after the new snapshot is visible, with no
/// registry lock held except the one serializing updates — so a listener may read the registry,
/// subscribe or unsubscribe, but must not call update().
class Registry {
public:
    using Listener = std::function<void(const std::shared_ptr<const RegistrySnapshot>&)>;
    using SubscriptionId = std::uint64_t;

    Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    /// Replaces the set with the manifests in `addons` (a JSON array of addon_ai.json documents).
    /// Valid manifests are accepted; invalid ones, and later manifests reusing an accepted addon id,
    /// are recorded in the snapshot's `rejected` with all their errors. When the array differs from
    /// the previous one the version increases and listeners are told. Fails (InvalidArgument, and
    /// the registry is unchanged) only when `addons` is not an array.
    [[nodiscard]] Result<UpdateOutcome> update(const nlohmann::json& addons);

    /// The current state.
    [[nodiscard]] std::shared_ptr<const RegistrySnapshot> snapshot() const;

    [[nodiscard]] std::uint64_t version() const;

    /// The tool with this provider name in the current state, or null.
    [[nodiscard]] std::shared_ptr<const Tool> find(std::string_view provider_name) const;

    /// Calls `listener` after every change, until unsubscribe(). Returns the id to unsubscribe with.
    [[nodiscard]] SubscriptionId subscribe(Listener listener);

    /// Stops calls to that listener (a call already under way on another thread may still finish).
    void unsubscribe(SubscriptionId id);

private:
    mutable std::mutex m_mutex; ///< guards the members below
    std::shared_ptr<const RegistrySnapshot> m_snapshot;
    nlohmann::json m_last_addons;
    std::map<SubscriptionId, std::shared_ptr<Listener>> m_listeners;
    SubscriptionId m_next_subscription = 1;

    std::mutex m_update_mutex; ///< serializes update(), so listeners see versions in order
};

} // namespace atelier::registry
