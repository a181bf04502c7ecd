// SPDX-License-Identifier: Apache-2.0
#include "api/api_context.h"

#include <fmt/format.h>

namespace atelier::api {

ApiContext::ApiContext(store::Store& store, const Config& config, store::ProjectLocks& locks)
    : m_store(store), m_repos(config.projects_dir.empty() ? store::ProjectRepos(config.data_dir)
                                                          : store::ProjectRepos::with_root(config.projects_dir)),
      m_locks(locks), m_assets_library(config.assets_library) {
    // Only configured kinds: a project of any other kind would get a session that can never
    // start. Without a config file the configured kinds are the built-in ones (core/install_layout.h).
    for (const auto& [name, kind] : config.engines) {
        m_kinds[name] =
            kind.template_dir.empty() ? std::nullopt : std::optional<std::filesystem::path>(kind.template_dir);
        if (!kind.assets_dir.empty()) {
            m_assets_dirs[name] = kind.assets_dir;
        }
    }
}

std::string ApiContext::assets_dir_of(std::string_view kind) const {
    if (const auto found = m_assets_dirs.find(kind); found != m_assets_dirs.end()) {
        return found->second;
    }
    return kind == "remotion" ? "public" : "assets";
}

bool ApiContext::knows_kind(std::string_view kind) const {
    return m_kinds.find(kind) != m_kinds.end();
}

std::string ApiContext::kind_list() const {
    std::string list;
    for (const auto& [name, template_dir] : m_kinds) {
        list += list.empty() ? name : ", " + name;
    }
    return list;
}

std::optional<std::filesystem::path> ApiContext::template_of(std::string_view kind) const {
    const auto found = m_kinds.find(kind);
    return found == m_kinds.end() ? std::nullopt : found->second;
}

store::CommitAuthor commit_author(const store::User& user) {
    // libgit2 refuses '<', '>' and newlines in names; user names come from the store, which only
    // checks that they are non-empty, so replace anything git would choke on.
    std::string name;
    for (const char c : user.name) {
        name += (c == '<' || c == '>' || c == '\n' || c == '\r') ? '_' : c;
    }
    return {name, fmt::format("{}@atelier.local", user.id)};
}

} // namespace atelier::api
