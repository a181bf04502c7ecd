// SPDX-License-Identifier: Apache-2.0
#include "mcp/tool_catalog.h"

#include <array>
#include <cctype>

#include "api/hub_tools.h"

namespace atelier::mcp {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 9> kBuiltins{"list_projects",   "create_project",    "open_project",
                                                    "close_project",   "get_viewport",      "list_versions",
                                                    "restore_version", "list_engine_tools", "call_engine_tool"};

/// What both engine-tool hub tools say about when to use them.
constexpr std::string_view kPreferDirect =
    " Prefer the engine's own tools when they are listed in tools/list (they appear after open_project); use this "
    "only when they are not, e.g. because the client keeps the tool list it saw first or ignores "
    "notifications/tools/list_changed.";

json object_schema(json properties, json required = json::array()) {
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)},
            {"additionalProperties", false}};
}

json session_property() {
    return {{"type", "string"},
            {"minLength", 1},
            {"description", "The session handle that open_project returned (structuredContent.session)."}};
}

/// A built-in tool; `session_use` says whether stateless clients pass a session handle.
enum class SessionArgument { None, Optional, Required };

json builtin(std::string_view name, std::string_view title, std::string_view description, json properties,
             json required, json annotations, ResultStyle style, SessionArgument session) {
    if (style == ResultStyle::Stateless && session != SessionArgument::None) {
        properties[kSessionArgument] = session_property();
        if (session == SessionArgument::Required) {
            required.push_back(kSessionArgument);
        }
    }
    annotations["title"] = title;
    annotations["openWorldHint"] = false;
    return {{"name", name},
            {"title", title},
            {"description", description},
            {"inputSchema", object_schema(std::move(properties), std::move(required))},
            {"annotations", std::move(annotations)}};
}

json read_only() {
    return {{"readOnlyHint", true}};
}
json changes(bool destructive) {
    return {{"readOnlyHint", false}, {"destructiveHint", destructive}};
}

} // namespace

json builtin_tools(ResultStyle style) {
    const json id_type{{"type", "string"}, {"minLength", 1}};
    const json limit{{"type", "integer"}, {"minimum", 1}, {"maximum", 100}, {"description", "Page size"}};
    const json cursor{{"type", "string"}, {"description", "next_cursor of the previous page"}};
    const bool stateless = style == ResultStyle::Stateless;
    const std::string opened = stateless ? "the project open in `session`" : "the open project";
    json tools = json::array();
    tools.push_back(builtin("list_projects", "List projects",
                            "The user's projects, newest first (id, name, engine kind). Page with cursor.",
                            {{"limit", limit}, {"cursor", cursor}}, json::array(), read_only(), style,
                            SessionArgument::None));
    tools.push_back(builtin("create_project", "Create a project",
                            "Creates a project of an engine kind (e.g. blender, remotion) with its first version.",
                            {{"name", id_type}, {"kind", id_type}}, {"name", "kind"}, changes(false), style,
                            SessionArgument::None));
    tools.push_back(
        builtin("open_project", "Open a project",
                stateless ? "Starts (or joins) the project's live engine session and returns its session handle "
                            "(structuredContent.session): pass it as `session` to the engine tools, which then appear "
                            "in tools/list with a `session` argument."
                          : "Starts (or joins) the project's live engine session. Its engine tools then appear in "
                            "tools/list. One project at a time: opening another closes the first.",
                {{"project_id", id_type}}, {"project_id"}, changes(false), style, SessionArgument::Optional));
    tools.push_back(builtin("close_project", "Close the project",
                            "Leaves " + opened + "'s session (it ends once no client is attached).", json::object(),
                            json::array(), changes(false), style, SessionArgument::Required));
    tools.push_back(builtin("get_viewport", "Get the viewport", "The latest viewport image of " + opened + "'s engine.",
                            json::object(), json::array(), read_only(), style, SessionArgument::Required));
    tools.push_back(builtin("list_versions", "List versions",
                            "The versions of a project, newest first: revision, message, author, time and the "
                            "files each changed. project_id defaults to " +
                                opened + ".",
                            {{"project_id", id_type}, {"limit", limit}, {"cursor", cursor}}, json::array(), read_only(),
                            style, SessionArgument::Optional));
    tools.push_back(builtin(
        "restore_version", "Restore a version",
        "Makes a new version whose files equal `version`'s (history is kept, so a restore can be undone by "
        "restoring the version before it); a live session of the project reopens it in its engine. project_id "
        "defaults to " +
            opened + ".",
        {{"version", {{"type", "string"}, {"minLength", 4}, {"maxLength", 40}, {"description", "A revision id (hex)"}}},
         {"project_id", id_type}},
        {"version"}, changes(false), style, SessionArgument::Optional));
    tools.push_back(builtin("list_engine_tools", "List the engine's tools",
                            "The tools of " + opened +
                                "'s engine: name, title, description and input schema (JSON Schema) of each, "
                                "callable with call_engine_tool." +
                                std::string(kPreferDirect),
                            json::object(), json::array(), read_only(), style, SessionArgument::Required));
    tools.push_back(builtin(
        "call_engine_tool", "Call an engine tool",
        "Calls the tool named `tool` of " + opened +
            "'s engine with `arguments`, exactly as calling it directly: the arguments are checked against its input "
            "schema, a change is committed as a version, and the result (text, images, data) is the tool's own." +
            std::string(kPreferDirect),
        {{"tool", {{"type", "string"}, {"minLength", 1}, {"description", "The name list_engine_tools gives"}}},
         {"arguments",
          {{"type", "object"},
           {"description", "The tool's arguments, as its input schema asks (default: none)"},
           {"additionalProperties", true}}}},
        {"tool"}, changes(false), style, SessionArgument::Required));
    // The hub's file tools (api/hub_tools.h), the agent's too: they act on `project_id`, default
    // the open project.
    for (const auto& hub_tool : api::hub_tools()) {
        json properties = hub_tool.input_schema.at("properties");
        properties["project_id"] = {{"type", "string"},
                                    {"minLength", 1},
                                    {"description", hub_tool.mutates
                                                        ? "The project to import into (default: " + opened + ")"
                                                        : "The project worked on, left out of the "
                                                          "listing (default: " +
                                                              opened + ")"}};
        tools.push_back(builtin(hub_tool.name, hub_tool.title,
                                hub_tool.description + " \"This project\" is project_id, default " + opened + ".",
                                std::move(properties), hub_tool.input_schema.at("required"),
                                hub_tool.mutates ? changes(false) : read_only(), style, SessionArgument::Optional));
    }
    return tools;
}

bool is_builtin_tool(std::string_view name) {
    if (api::find_hub_tool(name) != nullptr) {
        return true;
    }
    for (const auto builtin_name : kBuiltins) {
        if (builtin_name == name) {
            return true;
        }
    }
    return false;
}

std::string tool_title(const json& tool) {
    if (tool.contains("title") && tool["title"].is_string() && !tool["title"].get<std::string>().empty()) {
        return tool["title"]; // a registry that carries the manifest's own title
    }
    std::string title = tool.value("tool", tool.value("name", ""));
    for (char& c : title) {
        if (c == '_' || c == '-') {
            c = ' ';
        }
    }
    if (!title.empty()) {
        title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    }
    const std::string addon = tool.value("addon", "");
    return addon.empty() ? title : title + " (" + addon + ")";
}

std::string describe(const json& tool) {
    std::string text = tool.value("description", "");
    if (tool.contains("usage") && tool["usage"].is_string()) {
        text += "\n\nUsage: " + tool["usage"].get<std::string>();
    }
    if (tool.contains("examples") && tool["examples"].is_array() && !tool["examples"].empty()) {
        text += "\n\nExamples:";
        for (const auto& example : tool["examples"]) {
            text += "\n- " + (example.is_string() ? example.get<std::string>() : example.dump());
        }
    }
    return text;
}

json engine_tool(const json& tool, ResultStyle style) {
    json schema = tool.value("input_schema", json{{"type", "object"}});
    if (style == ResultStyle::Stateless) {
        schema["properties"][kSessionArgument] = session_property();
        if (!schema.contains("required") || !schema["required"].is_array()) {
            schema["required"] = json::array();
        }
        schema["required"].push_back(kSessionArgument);
    }
    const bool mutates = tool.value("mutates", true);
    const std::string title = tool_title(tool);
    // A mutating call is committed as a version that restore_version can undo: not destructive.
    return {{"name", tool.value("name", "")},
            {"title", title},
            {"description", describe(tool)},
            {"inputSchema", std::move(schema)},
            {"annotations",
             {{"title", title}, {"readOnlyHint", !mutates}, {"destructiveHint", false}, {"openWorldHint", false}}}};
}

} // namespace atelier::mcp
