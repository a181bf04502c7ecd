// The tools of an MCP session: project management built in, plus the open session's engine tools.

#include <exception>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/projects_api.h"
#include "mcp/json_rpc.h"
#include "mcp/mcp_server.h"
#include "mcp/virtual_tab.h"
#include "protocol/frame_header.h"

namespace atelier::mcp {
namespace {

using nlohmann::json;

json object_schema(json properties, json required = json::array()) {
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)},
            {"additionalProperties", false}};
}

json builtin_tools() {
    const json string_type{{"type", "string"}, {"minLength", 1}};
    return json::array({
        {{"name", "list_projects"},
         {"title", "List projects"},
         {"description", "The user's projects, newest first (id, name, engine kind). Page with cursor."},
         {"inputSchema", object_schema({{"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}},
                                        {"cursor", {{"type", "string"}}}})}},
        {{"name", "create_project"},
         {"title", "Create a project"},
         {"description", "Creates a project of an engine kind (e.g. blender, remotion) with its first version."},
         {"inputSchema", object_schema({{"name", string_type}, {"kind", string_type}}, {"name", "kind"})}},
        {{"name", "open_project"},
         {"title", "Open a project"},
         {"description", "Starts (or joins) the project's live engine session. Its engine tools then appear in "
                         "tools/list. One project at a time: opening another closes the first."},
         {"inputSchema", object_schema({{"project_id", string_type}}, {"project_id"})}},
        {{"name", "close_project"},
         {"title", "Close the project"},
         {"description", "Leaves the open project's session (it ends once no client is attached)."},
         {"inputSchema", object_schema(json::object())}},
        {{"name", "get_viewport"},
         {"title", "Get the viewport"},
         {"description", "The latest viewport image of the open project's engine."},
         {"inputSchema", object_schema(json::object())}},
    });
}

/// The tool's description for a model: what it does, how to use it, examples.
std::string describe(const json& tool) {
    std::string text = tool.value("description", "");
    if (tool.contains("usage") && tool["usage"].is_string()) {
        text += "\n\nUsage: " + tool["usage"].get<std::string>();
    }
    if (tool.contains("examples") && tool["examples"].is_array() && !tool["examples"].empty()) {
        text += "\n\nExamples:";
        for (const auto& example : tool["examples"]) {
            text += "\n" + example.dump();
        }
    }
    return text;
}

/// A tool result for what a REST handler answered: its JSON as text and structured content, or
/// its error as an `isError` result.
json rest_result(const net::HttpResponse& response) {
    auto body = json::parse(response.body, nullptr, false);
    if (response.status >= 300) {
        std::string message =
            body.is_object() && body.contains("error") ? body["error"].value("message", response.body) : response.body;
        return text_result(message, true);
    }
    json result = text_result(response.body);
    if (body.is_object()) {
        result["structuredContent"] = body;
    }
    return result;
}

/// The MCP result for a `command:result` or `error` envelope.
json command_result(const json& envelope) {
    const json payload = envelope.value("payload", json::object());
    if (envelope.value("type", "") != "command:result") {
        return text_result(payload.value("message", "the call failed"), true);
    }
    if (!payload.value("ok", false)) {
        const json error = payload.value("error", json::object());
        std::string text = error.value("message", "the call failed");
        if (error.contains("details") && !error["details"].is_null()) {
            text += "\n" + error["details"].dump(2);
        }
        json result = text_result(text, true);
        result["structuredContent"] = {{"error", error}};
        return result;
    }
    json content = json::array();
    for (const auto& block : payload.value("content", json::array())) {
        if (block.is_object() && (block.value("type", "") == "text" || block.value("type", "") == "image")) {
            content.push_back(block);
        }
    }
    json result = json::object();
    const json data = payload.value("data", json());
    if (data.is_object()) {
        result["structuredContent"] = data;
    }
    if (content.empty() && !data.is_null()) {
        // Clients that ignore structuredContent still see the data.
        content.push_back({{"type", "text"}, {"text", data.dump()}});
    }
    if (payload.contains("version")) {
        content.push_back(
            {{"type", "text"}, {"text", fmt::format("Committed as version {}.", payload.value("version", ""))}});
    } else if (payload.contains("save_error")) {
        content.push_back({{"type", "text"}, {"text", "The change was not saved: " + payload.value("save_error", "")}});
    }
    if (content.empty()) {
        content.push_back({{"type", "text"}, {"text", "done"}});
    }
    result["content"] = std::move(content);
    return result;
}

json ready_result(const json& envelope, const std::string& session_id) {
    const json payload = envelope.value("payload", json::object());
    if (envelope.value("type", "") != "session:ready") {
        const std::string why = payload.value("message", payload.value("detail", "the session did not start"));
        return text_result("Cannot open the project: " + why, true);
    }
    json names = json::array();
    for (const auto& tool : payload.value("tools", json::array())) {
        names.push_back(tool.value("name", ""));
    }
    const json engine = payload.value("engine", json::object());
    json result = text_result(fmt::format("Opened project {} in session {} (engine {}). Its {} tools are now in "
                                          "tools/list: {}",
                                          payload.value("project_id", ""), session_id, engine.value("kind", "?"),
                                          names.size(), names.dump()));
    result["structuredContent"] = {{"session_id", session_id},
                                   {"project_id", payload.value("project_id", "")},
                                   {"engine", engine},
                                   {"tools", names}};
    return result;
}

json viewport_result(const std::optional<std::string>& frame) {
    if (!frame) {
        return text_result("No viewport frame yet: open a project, or wait for its engine's first frame.", true);
    }
    const auto header = protocol::decode_frame_header(*frame);
    if (!header) {
        return text_result("The latest frame is malformed: " + header.error().message, true);
    }
    const std::string_view image = std::string_view(*frame).substr(protocol::kFrameHeaderSize);
    return {{"content",
             json::array({{{"type", "image"},
                           {"data", base64(image)},
                           {"mimeType", protocol::frame_codec_mime_type(header->codec)}},
                          {{"type", "text"},
                           {"text", fmt::format("frame {} ({}x{})", header->seq, header->width, header->height)}}})}};
}

/// The user's live session of `project_id` (a browser's, or this client's from before), so that
/// opening joins it instead of starting a second engine; empty when there is none.
std::string live_session_of(const sessions::SessionManager& sessions, const std::string& user_id,
                            const std::string& project_id) {
    const nlohmann::json live = sessions.list(user_id);
    for (const auto& item : live["items"]) {
        const std::string state = item.value("state", "");
        if (item.value("project_id", "") == project_id && state != "ended" && state != "ending" && state != "lost") {
            return item.value("id", "");
        }
    }
    return {};
}

} // namespace

json McpServer::list_tools(Session& session) const {
    json tools = builtin_tools();
    std::shared_ptr<VirtualTab> tab;
    {
        const std::lock_guard lock(session.mutex);
        tab = session.tab;
    }
    if (!tab) {
        return tools;
    }
    for (const auto& tool : tab->tools()) {
        json entry{{"name", tool.value("name", "")},
                   {"description", describe(tool)},
                   {"inputSchema", tool.value("input_schema", json{{"type", "object"}})}};
        tools.push_back(std::move(entry));
    }
    return tools;
}

void McpServer::call_tool(const std::shared_ptr<Session>& session, const json& id, const json& params,
                          net::HttpResponder respond) {
    try {
        if (!params.contains("name") || !params["name"].is_string()) {
            return respond.send(rpc_error(200, id, kInvalidParams, "Invalid params: name must be a string"));
        }
        const std::string name = params["name"];
        const json arguments = params.value("arguments", json::object());
        if (!arguments.is_object()) {
            return respond.send(rpc_error(200, id, kInvalidParams, "Invalid params: arguments must be an object"));
        }
        net::HttpRequest rest;
        rest.subject = session->subject;
        if (name == "list_projects") {
            if (arguments.contains("limit")) {
                rest.query["limit"] =
                    arguments["limit"].is_string() ? arguments["limit"].get<std::string>() : arguments["limit"].dump();
            }
            if (arguments.contains("cursor") && arguments["cursor"].is_string()) {
                rest.query["cursor"] = arguments["cursor"];
            }
            return respond.send(rpc_result(id, rest_result(api::list_projects(m_api, rest))));
        }
        if (name == "create_project") {
            rest.body = arguments.dump();
            return respond.send(rpc_result(id, rest_result(api::create_project(m_api, rest))));
        }
        if (name == "open_project") {
            return open_project(session, id, arguments, std::move(respond));
        }
        std::shared_ptr<VirtualTab> tab;
        {
            const std::lock_guard lock(session->mutex);
            tab = session->tab;
        }
        if (name == "close_project") {
            const bool was_open = tab != nullptr;
            detach(*session);
            return respond.send(rpc_result(id, text_result(was_open ? "Closed the project." : "No project was open.")));
        }
        if (name == "get_viewport") {
            return respond.send(rpc_result(id, viewport_result(tab ? tab->latest_frame() : std::nullopt)));
        }
        bool known = false;
        if (tab) {
            for (const auto& tool : tab->tools()) {
                known = known || tool.value("name", "") == name;
            }
        }
        if (!known) {
            return respond.send(rpc_error(200, id, kInvalidParams,
                                          tab ? fmt::format("Unknown tool: {}", name)
                                              : fmt::format("Unknown tool: {} (open a project first)", name)));
        }
        return engine_tool(session, tab, id, name, arguments, std::move(respond));
    } catch (const std::exception& error) {
        spdlog::error("mcp: tools/call: {}", error.what());
        respond.send(rpc_error(500, id, kInternalError, "Internal error"));
    }
}

void McpServer::open_project(const std::shared_ptr<Session>& session, const json& id, const json& arguments,
                             net::HttpResponder respond) {
    if (!arguments.contains("project_id") || !arguments["project_id"].is_string() ||
        arguments["project_id"].get<std::string>().empty()) {
        return respond.send(rpc_result(id, text_result("project_id must be a non-empty string", true)));
    }
    const std::string project_id = arguments["project_id"];
    detach(*session);
    net::HttpRequest seat;
    seat.method = "POST";
    seat.path = "/mcp";
    seat.target = "/mcp";
    seat.subject = session->subject;
    auto tab = std::make_shared<VirtualTab>(std::move(seat));
    {
        const std::lock_guard lock(session->mutex);
        session->tab = tab;
    }
    const std::string re = tab->next_request_id();
    auto responder = std::make_shared<net::HttpResponder>(std::move(respond));
    std::weak_ptr<VirtualTab> weak_tab = tab;
    // A failed open leaves the tab in place: the reply may come while the session manager holds a
    // lock, so detaching here could deadlock; the next open_project, close_project or DELETE does.
    tab->expect_ready(re, [id, responder, weak_tab](const json& envelope) {
        auto opened = weak_tab.lock();
        responder->send(rpc_result(id, ready_result(envelope, opened ? opened->session_id() : "")));
    });
    m_sessions->start(session->subject, project_id, live_session_of(*m_sessions, session->subject, project_id), tab,
                      re);
}

void McpServer::engine_tool(const std::shared_ptr<Session>& session, const std::shared_ptr<VirtualTab>& tab,
                            const json& id, const std::string& name, const json& arguments,
                            net::HttpResponder respond) {
    const std::string re = tab->next_request_id();
    auto responder = std::make_shared<net::HttpResponder>(std::move(respond));
    tab->expect_reply(
        re, [id, responder](const json& envelope) { responder->send(rpc_result(id, command_result(envelope))); });
    m_sessions->command(session->subject, tab->session_id(), name, arguments, tab, re);
}

void McpServer::detach(Session& session) {
    std::shared_ptr<VirtualTab> tab;
    {
        const std::lock_guard lock(session.mutex);
        tab = std::move(session.tab);
        session.tab.reset();
    }
    if (tab) {
        m_sessions->detach(tab);
        tab->fail_pending("the project was closed");
    }
}

} // namespace atelier::mcp
