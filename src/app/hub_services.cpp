// SPDX-License-Identifier: Apache-2.0
#include "app/hub_services.h"

#include "api/assets_api.h"
#include "api/hub_tools.h"
#include "api/import_api.h"
#include "mcp/json_rpc.h"

namespace atelier::app {

agent::HubServices make_hub_services(api::ApiContext& api) {
    agent::HubServices hub;
    for (const auto& tool : api::hub_tools()) {
        hub.tools.push_back({tool.name, tool.description, tool.input_schema});
    }
    hub.call = [&api](const std::string& user_id, const std::string& project_id, const std::string& name,
                      const nlohmann::json& input, std::function<void(Result<nlohmann::json>)> done) {
        api::call_hub_tool(api, user_id, project_id, name, input, std::move(done));
    };
    hub.assets = [&api](const std::string& user_id, const std::string& project_id) {
        return api::project_assets(api, user_id, project_id);
    };
    hub.keep_attachments = [&api](const std::string& user_id, const std::string& project_id,
                                  const nlohmann::json& attachments, std::function<void(Result<nlohmann::json>)> done) {
        std::vector<api::Attachment> files;
        for (const auto& attachment : attachments) {
            if (!attachment.is_object() || !attachment.contains("data") || !attachment["data"].is_string()) {
                continue; // nothing to keep (a reference the model alone reads)
            }
            api::Attachment file{attachment.value("name", ""), attachment.value("media_type", ""), {}};
            if (!mcp::base64_decode(attachment["data"].get<std::string>(), file.bytes)) {
                return done(fail(ErrorCode::InvalidArgument, "an attachment's data is not base64"));
            }
            files.push_back(std::move(file));
        }
        api::keep_attachments(api, user_id, project_id, std::move(files), std::move(done));
    };
    return hub;
}

} // namespace atelier::app
