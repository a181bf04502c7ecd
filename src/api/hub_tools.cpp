// SPDX-License-Identifier: Apache-2.0
#include "api/hub_tools.h"

#include <algorithm>

#include <fmt/format.h>

#include "api/assets_api.h"
#include "api/import_api.h"
#include "api/json_request.h"
#include "api/renders_api.h"

namespace atelier::api {
namespace {

using nlohmann::json;

/// How many of the user's projects list_project_outputs looks through without `from_project`.
constexpr int kProjectsScanned = 100;

json string_property(std::string_view description) {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 4096}, {"description", description}};
}

json object_schema(json properties, json required) {
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)},
            {"additionalProperties", false}};
}

constexpr std::string_view kToDescription =
    "Where the file goes in this project; default: the engine's asset folder (public/ for Remotion, assets/ for "
    "Blender) with the file's own name. A path ending in / names a folder.";

std::vector<HubToolSpec> make_tools() {
    std::vector<HubToolSpec> tools;
    tools.push_back(
        {"list_project_outputs", "List other projects' renders",
         "Lists the renders and exports (name, kind, size, the version it was made from) of the user's other "
         "projects, or of one project (from_project), so that one can be brought into this project with "
         "import_from_project.",
         object_schema({{"from_project", string_property("Only this project's outputs (its id)")}}, json::array()),
         false});
    tools.push_back(
        {"import_from_project", "Import from another project",
         "Copies a render or export of another of the user's projects (render: its name from "
         "list_project_outputs), or a file of one of its versions (path, rev: default its current version), into "
         "this project and commits it as a new version that names its source. A Blender render becomes a Remotion "
         "asset this way (then use it with staticFile()).",
         object_schema({{"from_project", string_property("The id of the project to import from")},
                        {"render", string_property("A render or export name from list_project_outputs")},
                        {"path", string_property("A file of the source project's version, e.g. scene.glb")},
                        {"rev", string_property("The source version of `path` (default: its current one)")},
                        {"to", string_property(kToDescription)}},
                       json::array({"from_project"})),
         true});
    tools.push_back({"list_assets", "List the asset library",
                     "Lists the local asset library (path, kind: image | hdri | model | audio | video | font | "
                     "text, size): textures, HDRIs, models and more that import_asset brings into this project.",
                     object_schema({{"kind", string_property("Only assets of this kind, e.g. hdri")}}, json::array()),
                     false});
    tools.push_back({"import_asset", "Import a library asset",
                     "Copies an asset of the local library (its path from list_assets) into this project and commits "
                     "it as a new version.",
                     object_schema({{"asset", string_property("The asset's path from list_assets")},
                                    {"to", string_property(kToDescription)}},
                                   json::array({"asset"})),
                     true});
    return tools;
}

/// The string arguments `fields` of `arguments` (an object with no other keys), "" when absent.
Result<std::vector<std::string>> string_arguments(const json& arguments, std::initializer_list<std::string_view> fields,
                                                  std::initializer_list<std::string_view> required = {}) {
    ATELIER_TRY(check_object(arguments, fields));
    std::vector<std::string> values;
    for (const auto field : fields) {
        const bool must = std::find(required.begin(), required.end(), field) != required.end();
        auto value = ATELIER_TRY(string_field(arguments, field, must ? Presence::Required : Presence::Optional, 4096));
        values.push_back(value.value_or(""));
    }
    return values;
}

Result<json> list_outputs(ApiContext& api, const std::string& user_id, const std::string& project_id,
                          const json& arguments) {
    const auto values = ATELIER_TRY(string_arguments(arguments, {"from_project"}));
    std::vector<store::Project> projects;
    if (!values[0].empty()) {
        projects.push_back(ATELIER_TRY(api.store().get_project(user_id, values[0])));
    } else {
        auto page = ATELIER_TRY(api.store().list_projects(user_id, {kProjectsScanned, {}}));
        for (auto& project : page.items) {
            if (project.id != project_id) {
                projects.push_back(std::move(project));
            }
        }
    }
    json listed = json::array();
    for (const auto& project : projects) {
        json outputs = ATELIER_TRY(project_outputs(api, user_id, project.id));
        if (outputs.empty() && values[0].empty()) {
            continue;
        }
        listed.push_back(
            {{"id", project.id}, {"name", project.name}, {"kind", project.kind}, {"outputs", std::move(outputs)}});
    }
    return json{{"projects", std::move(listed)}};
}

Result<json> list_library(ApiContext& api, const json& arguments) {
    const auto values = ATELIER_TRY(string_arguments(arguments, {"kind"}));
    json assets = json::array();
    for (auto& asset : library_assets(api)) {
        if (values[0].empty() || asset.value("kind", "") == values[0]) {
            assets.push_back(std::move(asset));
        }
    }
    return json{{"assets", std::move(assets)}};
}

Result<ImportRequest> import_request(const std::string& name, const json& arguments) {
    ImportRequest what;
    if (name == "import_asset") {
        const auto values = ATELIER_TRY(string_arguments(arguments, {"asset", "to"}, {"asset"}));
        what.asset = values[0];
        what.to = values[1];
    } else {
        const auto values =
            ATELIER_TRY(string_arguments(arguments, {"from_project", "render", "path", "rev", "to"}, {"from_project"}));
        what.from_project = values[0];
        what.render = values[1];
        what.path = values[2];
        what.rev = values[3];
        what.to = values[4];
    }
    return what;
}

} // namespace

const std::vector<HubToolSpec>& hub_tools() {
    static const std::vector<HubToolSpec> tools = make_tools();
    return tools;
}

const HubToolSpec* find_hub_tool(std::string_view name) {
    for (const auto& tool : hub_tools()) {
        if (tool.name == name) {
            return &tool;
        }
    }
    return nullptr;
}

void call_hub_tool(ApiContext& api, const std::string& user_id, const std::string& project_id, const std::string& name,
                   const json& arguments, std::function<void(Result<json>)> done) {
    if (name == "list_project_outputs") {
        return done(list_outputs(api, user_id, project_id, arguments));
    }
    if (name == "list_assets") {
        return done(list_library(api, arguments));
    }
    if (name != "import_from_project" && name != "import_asset") {
        return done(fail(ErrorCode::NotFound, fmt::format("no hub tool named {}", name)));
    }
    auto what = import_request(name, arguments);
    if (!what) {
        return done(fail(what.error()));
    }
    if (project_id.empty()) {
        return done(fail(ErrorCode::InvalidArgument, "no project to import into: open a project or give project_id"));
    }
    import_from_project(api, user_id, project_id, *what, [project_id, done](Result<ImportResult> imported) {
        if (!imported) {
            return done(fail(imported.error()));
        }
        done(json{{"path", imported->path},
                  {"version", imported->version},
                  {"url", fmt::format("/api/projects/{}/files/{}", project_id, imported->path)}});
    });
}

} // namespace atelier::api
