// SPDX-License-Identifier: Apache-2.0
#include "engines/launcher_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace atelier::engines {

void LauncherRegistry::add(std::string name, LauncherFactory factory) {
    m_factories[std::move(name)] = std::move(factory);
}

Result<std::shared_ptr<EngineLauncher>> LauncherRegistry::create(const std::string& name,
                                                                 const LauncherOptions& options) const {
    const auto it = m_factories.find(name);
    if (it == m_factories.end()) {
        return fail(ErrorCode::InvalidConfig,
                    fmt::format("unknown launcher \"{}\" (known: {})", name, fmt::join(names(), ", ")));
    }
    return it->second(options);
}

std::vector<std::string> LauncherRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, factory] : m_factories) {
        out.push_back(name);
    }
    return out;
}

} // namespace atelier::engines
