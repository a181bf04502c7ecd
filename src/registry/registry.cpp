// SPDX-License-Identifier: Apache-2.0
#include "registry/registry.h"

#include <algorithm>
#include <set>

#include "registry/manifest_parser.h"
#include "registry/tool_naming.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;

std::string addon_id_of(const Json& document) {
    if (document.is_object() && document.contains("addon_info") && document["addon_info"].is_object()) {
        const auto& info = document["addon_info"];
        if (info.contains("id") && info["id"].is_string()) {
            return info["id"].get<std::string>();
        }
    }
    return {};
}

// Builds the next state from scratch: manifests are few and small, and rebuilding keeps the
// naming of every tool a function of the whole set only.
Result<std::shared_ptr<RegistrySnapshot>> build_snapshot(const Json& addons, std::uint64_t version) {
    auto snapshot = std::make_shared<RegistrySnapshot>();
    snapshot->version = version;

    std::vector<Manifest> accepted;
    std::map<std::string, std::size_t> first_index;
    for (std::size_t index = 0; index < addons.size(); ++index) {
        auto parsed = parse_manifest(addons[index]);
        if (!parsed) {
            snapshot->rejected.push_back({index, addon_id_of(addons[index]), std::move(parsed).error()});
            continue;
        }
        auto [previous, inserted] = first_index.emplace(parsed->addon.id, index);
        if (!inserted) {
            snapshot->rejected.push_back({index,
                                          parsed->addon.id,
                                          {{"/addon_info/id", "duplicate addon id '" + parsed->addon.id +
                                                                  "' (already used by the manifest at index " +
                                                                  std::to_string(previous->second) + ")"}}});
            continue;
        }
        accepted.push_back(std::move(*parsed));
    }

    std::vector<ToolKey> keys;
    for (const auto& manifest : accepted) {
        for (const auto& tool : manifest.tools) {
            keys.push_back({manifest.addon.id, tool.name});
        }
    }
    const auto names = assign_provider_names(keys);

    std::size_t next_name = 0;
    for (auto& manifest : accepted) {
        AddonEntry entry{manifest.addon,        manifest.agent_description, manifest.context_hints,
                         manifest.requirements, manifest.metadata,          {}};
        for (const auto& spec : manifest.tools) {
            auto tool = build_tool(manifest.addon.id, spec, names[next_name++]);
            if (!tool) {
                // parse_manifest checks schemas, so this is a gap in those checks; still report it.
                return fail(ErrorCode::Internal,
                            "tool '" + spec.name + "' of addon '" + manifest.addon.id + "': " + tool.error().message);
            }
            entry.tool_names.push_back(tool->provider_name);
            snapshot->tools.push_back(std::make_shared<const Tool>(std::move(*tool)));
        }
        snapshot->addons.push_back(std::move(entry));
    }
    std::sort(snapshot->tools.begin(), snapshot->tools.end(),
              [](const auto& a, const auto& b) { return a->provider_name < b->provider_name; });
    return snapshot;
}

} // namespace

Json RejectedManifest::to_json() const {
    return Json{{"index", index}, {"addon_id", addon_id}, {"errors", registry::to_json(errors)}};
}

std::shared_ptr<const Tool> RegistrySnapshot::find(std::string_view provider_name) const {
    auto it = std::lower_bound(tools.begin(), tools.end(), provider_name,
                               [](const auto& tool, std::string_view name) { return tool->provider_name < name; });
    if (it == tools.end() || (*it)->provider_name != provider_name) {
        return nullptr;
    }
    return *it;
}

std::vector<std::string> RegistrySnapshot::tool_names() const {
    std::vector<std::string> names;
    names.reserve(tools.size());
    for (const auto& tool : tools) {
        names.push_back(tool->provider_name);
    }
    return names;
}

Registry::Registry() : m_snapshot(std::make_shared<const RegistrySnapshot>()), m_last_addons(Json::array()) {}

Result<UpdateOutcome> Registry::update(const Json& addons) {
    if (!addons.is_array()) {
        return fail(ErrorCode::InvalidArgument,
                    std::string("'addons' must be an array of manifests, not ") + addons.type_name());
    }
    std::lock_guard update_lock(m_update_mutex);
    std::shared_ptr<const RegistrySnapshot> current;
    {
        std::lock_guard lock(m_mutex);
        current = m_snapshot;
        if (addons == m_last_addons) {
            return UpdateOutcome{false, current->version, current->addons.size(), current->rejected};
        }
    }

    std::shared_ptr<const RegistrySnapshot> next;
    try {
        next = ATELIER_TRY(build_snapshot(addons, current->version + 1));
    } catch (const std::exception& error) {
        // nlohmann or valijson throwing here is a bug in our checks; it must not escape the module.
        return fail(ErrorCode::Internal, std::string("registry update failed: ") + error.what());
    }

    std::vector<std::shared_ptr<Listener>> listeners;
    {
        std::lock_guard lock(m_mutex);
        m_snapshot = next;
        m_last_addons = addons;
        for (const auto& [id, listener] : m_listeners) {
            listeners.push_back(listener);
        }
    }
    for (const auto& listener : listeners) {
        (*listener)(next);
    }
    return UpdateOutcome{true, next->version, next->addons.size(), next->rejected};
}

std::shared_ptr<const RegistrySnapshot> Registry::snapshot() const {
    std::lock_guard lock(m_mutex);
    return m_snapshot;
}

std::uint64_t Registry::version() const {
    return snapshot()->version;
}

std::shared_ptr<const Tool> Registry::find(std::string_view provider_name) const {
    return snapshot()->find(provider_name);
}

Registry::SubscriptionId Registry::subscribe(Listener listener) {
    std::lock_guard lock(m_mutex);
    const auto id = m_next_subscription++;
    m_listeners.emplace(id, std::make_shared<Listener>(std::move(listener)));
    return id;
}

void Registry::unsubscribe(SubscriptionId id) {
    std::lock_guard lock(m_mutex);
    m_listeners.erase(id);
}

} // namespace atelier::registry
