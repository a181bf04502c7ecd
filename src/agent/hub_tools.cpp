// SPDX-License-Identifier: Apache-2.0
#include "agent/hub_tools.h"

#include <chrono>
#include <future>
#include <memory>

#include <spdlog/spdlog.h>

#include "agent/asset_prompt.h"

namespace atelier::agent {

bool HubServices::offers(std::string_view name) const {
    if (!call) {
        return false;
    }
    for (const auto& tool : tools) {
        if (tool.name == name) {
            return true;
        }
    }
    return false;
}

std::vector<ToolDefinition> with_hub_tools(std::vector<ToolDefinition> engine_tools, const HubServices& hub) {
    if (hub.call) {
        engine_tools.insert(engine_tools.end(), hub.tools.begin(), hub.tools.end());
    }
    return engine_tools;
}

std::string assets_context(const HubServices& hub, const std::string& user_id, const std::string& project_id) {
    if (!hub.assets) {
        return "";
    }
    auto assets = hub.assets(user_id, project_id);
    if (!assets) {
        spdlog::warn("agent: project {}: assets not listed: {}", project_id.substr(0, 8), assets.error().message);
        return "";
    }
    return build_assets_section(*assets);
}

std::string keep_turn_attachments(const HubServices& hub, const std::string& user_id, const std::string& project_id,
                                  const nlohmann::json& attachments) {
    if (!hub.keep_attachments || !attachments.is_array() || attachments.empty()) {
        return "";
    }
    auto done = std::make_shared<std::promise<Result<nlohmann::json>>>();
    auto future = done->get_future();
    hub.keep_attachments(user_id, project_id, attachments,
                         [done](Result<nlohmann::json> result) { done->set_value(std::move(result)); });
    auto kept = future.get();
    if (!kept) {
        spdlog::warn("agent: project {}: attachments not kept: {}", project_id.substr(0, 8), kept.error().message);
        return "(The attached files could not be kept in the project: " + kept.error().message + ")";
    }
    std::string paths;
    for (const auto& path : kept->value("paths", nlohmann::json::array())) {
        paths += (paths.empty() ? "" : ", ") + path.get<std::string>();
    }
    return paths.empty() ? "" : "(The attached files are kept in the project as: " + paths + ")";
}

Result<engines::ToolCallResult> run_hub_tool(const HubServices& hub, const std::string& user_id,
                                             const std::string& project_id, const std::string& name,
                                             const nlohmann::json& input) {
    const auto started = std::chrono::steady_clock::now();
    auto done = std::make_shared<std::promise<Result<nlohmann::json>>>();
    auto future = done->get_future();
    hub.call(user_id, project_id, name, input,
             [done](Result<nlohmann::json> result) { done->set_value(std::move(result)); });
    auto result = future.get();
    if (!result) {
        return fail(result.error());
    }
    engines::ToolCallResult out;
    out.content = nlohmann::json::array({{{"type", "text"}, {"text", result->dump()}}});
    out.data = std::move(*result);
    out.mutates = false;
    out.duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return out;
}

} // namespace atelier::agent
