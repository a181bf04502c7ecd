// SPDX-License-Identifier: Apache-2.0
#include "api/records_json.h"

#include <nlohmann/json.hpp>

namespace atelier::api {
namespace {

const char* change_name(store::ChangeKind kind) {
    switch (kind) {
    case store::ChangeKind::Added:
        return "added";
    case store::ChangeKind::Deleted:
        return "deleted";
    case store::ChangeKind::Modified:
        break;
    }
    return "modified";
}

nlohmann::json next_cursor(const std::string& cursor) {
    return cursor.empty() ? nlohmann::json(nullptr) : nlohmann::json(cursor);
}

} // namespace

nlohmann::json to_json(const store::Project& project) {
    return {{"id", project.id},
            {"name", project.name},
            {"kind", project.kind},
            {"created_at", project.created_at},
            {"updated_at", project.updated_at},
            {"current_version",
             project.current_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(project.current_version)}};
}

nlohmann::json to_json(const store::Message& message) {
    // tool_actions is stored as JSON text; hand it back as JSON, or as text if it is not JSON.
    nlohmann::json actions = nlohmann::json::parse(message.tool_actions, nullptr, /*allow_exceptions=*/false);
    if (actions.is_discarded()) {
        actions = message.tool_actions;
    }
    return {{"id", message.id},
            {"role", message.role},
            {"content", message.content},
            {"tool_actions", std::move(actions)},
            {"created_at", message.created_at}};
}

nlohmann::json to_json(const store::User& user) {
    return {{"id", user.id},
            {"name", user.name},
            {"role", user.role == store::UserRole::Admin ? "admin" : "member"},
            {"created_at", user.created_at}};
}

nlohmann::json to_json(const store::Version& version, const std::vector<store::FileChange>& changes) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& change : changes) {
        files.push_back({{"path", change.path}, {"status", change_name(change.kind)}});
    }
    return {{"rev", version.revision},
            {"message", version.message},
            {"author", version.author},
            {"created_at", version.created_at},
            {"files", std::move(files)}};
}

template <class T> nlohmann::json page_json(const store::Page<T>& page) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : page.items) {
        items.push_back(to_json(item));
    }
    return {{"items", std::move(items)}, {"next_cursor", next_cursor(page.next_cursor)}};
}

template nlohmann::json page_json(const store::Page<store::Project>& page);
template nlohmann::json page_json(const store::Page<store::Message>& page);

} // namespace atelier::api
