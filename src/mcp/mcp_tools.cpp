// SPDX-License-Identifier: Apache-2.0
// The tools of an MCP session: project management built in, plus the open session's engine tools.

#include <exception>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "api/hub_tools.h"
#include "api/json_request.h"
#include "api/projects_api.h"
#include "api/versions_api.h"
#include "core/ids.h"
#include "mcp/json_rpc.h"
#include "mcp/mcp_server.h"
#include "mcp/session_seat.h"
#include "mcp/tool_catalog.h"
#include "protocol/frame_header.h"

namespace atelier::mcp {
namespace {

using nlohmann::json;

/// A tool result for what a REST handler answered: its JSON as text and structured content, or
/// its error as an `isError` result.
/// The MCP result of a hub service (the api's typed functions, shared with REST).
json service_result(const Result<json>& body) {
    if (!body) {
        return text_result(body.error().message, true);
    }
    json result = text_result(body->dump());
    if (body->is_object()) {
        result["structuredContent"] = *body;
    }
    return result;
}

/// The MCP result for a `command:result` or `error` event.
json command_result(const sessions::SessionEvent& event) {
    const json& payload = event.payload;
    if (event.type != "command:result") {
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

json ready_result(const sessions::SessionEvent& event, const std::string& session_id, const std::string& handle) {
    const json& payload = event.payload;
    if (event.type != "session:ready") {
        const std::string why = payload.value("message", payload.value("detail", "the session did not start"));
        return text_result("Cannot open the project: " + why, true);
    }
    json names = json::array();
    for (const auto& tool : payload.value("tools", json::array())) {
        names.push_back(tool.value("name", ""));
    }
    const json engine = payload.value("engine", json::object());
    const std::string how = handle.empty() ? "Its {} tools are now in tools/list: {}"
                                           : "Pass session \"" + handle + "\" to its {} tools (in tools/list): {}";
    json result = text_result(fmt::format("Opened project {} in hub session {} (engine {}). ",
                                          payload.value("project_id", ""), session_id, engine.value("kind", "?")) +
                              fmt::format(fmt::runtime(how), names.size(), names.dump()));
    result["structuredContent"] = {{"session_id", session_id},
                                   {"project_id", payload.value("project_id", "")},
                                   {"engine", engine},
                                   {"tools", names}};
    if (!handle.empty()) {
        result["structuredContent"]["session"] = handle;
    }
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

/// A hub tool (api/hub_tools.h) on `project_id` (its argument, else the open project): the same
/// typed service the agent runs, answered when it is done (an import, after its commit).
void hub_tool_call(api::ApiContext& api, const std::string& subject, const std::string& open_project,
                   const std::shared_ptr<Reply>& reply, const std::string& name, json arguments) {
    std::string project_id = open_project;
    if (arguments.contains("project_id")) {
        if (!arguments["project_id"].is_string() || arguments["project_id"].get<std::string>().empty()) {
            return reply->result(text_result("project_id must be a non-empty string", true));
        }
        project_id = arguments["project_id"];
        arguments.erase("project_id");
    }
    api::call_hub_tool(api, subject, project_id, name, arguments,
                       [reply](Result<json> result) { reply->result(service_result(result)); });
}

std::shared_ptr<SessionSeat> tab_of(McpServer::Session* session) {
    if (!session) {
        return nullptr;
    }
    const std::lock_guard lock(session->mutex);
    return session->tab;
}

} // namespace

json McpServer::list_tools(const Caller& caller) const {
    json tools = builtin_tools(caller.style);
    std::vector<std::shared_ptr<Session>> seats;
    if (caller.style == ResultStyle::Session) {
        if (caller.session) {
            seats.push_back(caller.session);
        }
    } else {
        // Stateless: the engine tools of every seat this user has open, each taking `session`.
        {
            const std::lock_guard lock(m_mutex);
            for (const auto& [id, session] : m_by_id) {
                if (session->stateless && session->subject == caller.subject) {
                    seats.push_back(session);
                }
            }
        }
    }
    std::set<std::string> listed;
    for (const auto& seat_session : seats) {
        // A parked client's tools are listed as they were: its next call re-opens the project.
        for (const auto& tool : tools_of(seat_session.get())) {
            if (listed.insert(tool.value("name", "")).second) {
                tools.push_back(engine_tool(tool, caller.style));
            }
        }
    }
    return tools;
}

void McpServer::call_tool(Caller caller, const std::shared_ptr<Reply>& reply, const json& params, bool reopened) {
    try {
        if (!params.contains("name") || !params["name"].is_string()) {
            return reply->error(200, kInvalidParams, "Invalid params: name must be a string");
        }
        const std::string name = params["name"];
        json arguments = params.value("arguments", json::object());
        if (!arguments.is_object()) {
            return reply->error(200, kInvalidParams, "Invalid params: arguments must be an object");
        }
        const bool stateless = caller.style == ResultStyle::Stateless;
        bool adopted = false;
        if (stateless && arguments.contains(kSessionArgument)) {
            // The seat the model names; the engine never sees this argument.
            const json handle = arguments[kSessionArgument];
            arguments.erase(std::string(kSessionArgument));
            caller.session = handle.is_string() ? seat(caller.subject, handle.get<std::string>()) : nullptr;
            if (!caller.session && handle.is_string() && name != "open_project") {
                // Made by another hub, or before this hub restarted: carried on here.
                caller.session = adopt_seat(caller, handle.get<std::string>());
                adopted = caller.session != nullptr;
            }
            if (!caller.session && name != "open_project") {
                return reply->result(text_result(
                    fmt::format("No open session {}: call open_project for a new session handle.", handle.dump()),
                    true));
            }
        }
        if (adopted && name != "close_project") {
            // The seat's project opens here first (which joins its live session), then the call runs.
            return unparked(caller, [weak_self = weak_from_this(), caller, reply, params](const std::string& failure) {
                auto self = weak_self.lock();
                if (!failure.empty()) {
                    if (self) {
                        // Not here: this may run while the session manager holds a lock.
                        self->m_timers.schedule(std::chrono::milliseconds(0), [weak_self, seat = caller.session] {
                            if (auto server = weak_self.lock()) {
                                server->drop_seat(seat, "its project could not be opened");
                            }
                        });
                    }
                    return reply->result(text_result(failure, true));
                }
                if (self) {
                    self->call_tool(caller, reply, params, true);
                }
            });
        }
        if (caller.session) {
            track(reply, caller.session); // a call that changes the caller's tools says so first
        }
        if (name == "list_projects") {
            auto page = api::page_request(arguments);
            return reply->result(service_result(page ? api::list_projects(m_api, caller.subject, *page)
                                                     : Result<json>(fail(page.error()))));
        }
        if (name == "create_project") {
            return reply->result(service_result(api::create_project(m_api, caller.subject, arguments)));
        }
        if (name == "open_project") {
            return open_project(std::move(caller), reply, arguments);
        }
        if (name == "list_versions" || name == "restore_version") {
            return reply->result(versions_tool(caller, name, arguments));
        }
        const std::string missing_session =
            stateless ? " (pass the `session` handle open_project returned)" : " (open a project first)";
        const std::string open_project_id = project_of(caller.session.get());
        if (api::find_hub_tool(name) != nullptr) {
            return hub_tool_call(m_api, caller.subject, open_project_id, reply, name, std::move(arguments));
        }
        if (name == "close_project") {
            if (!caller.session) {
                return reply->result(text_result("No project is open" + missing_session, true));
            }
            if (!open_project_id.empty()) {
                spdlog::info("mcp {} {}: close_project {}", stateless ? "seat" : "session",
                             caller.session->id.substr(0, 8), open_project_id);
            }
            if (stateless) {
                drop_seat(caller.session, "close_project", true);
            } else {
                detach(*caller.session);
            }
            return reply->result(text_result(open_project_id.empty() ? "No project was open." : "Closed the project."));
        }
        if (name == "list_engine_tools") {
            if (open_project_id.empty()) {
                return reply->result(text_result("No project is open" + missing_session, true));
            }
            return reply->result(engine_tools_result(caller));
        }
        if (caller.session && !reopened) {
            // A parked client's call re-opens its project first (parking.cpp), then runs.
            return unparked(caller, [weak_self = weak_from_this(), caller, reply, params](const std::string& failure) {
                if (!failure.empty()) {
                    return reply->result(text_result(failure, true));
                }
                if (auto self = weak_self.lock()) {
                    self->call_tool(caller, reply, params, true);
                }
            });
        }
        const auto tab = tab_of(caller.session.get());
        if (name == "get_viewport") {
            if (stateless && !caller.session) {
                return reply->result(text_result("No project is open" + missing_session, true));
            }
            return reply->result(viewport_result(tab ? tab->latest_frame() : std::nullopt));
        }
        if (name == "call_engine_tool") {
            if (!arguments.contains("tool") || !arguments["tool"].is_string() ||
                arguments["tool"].get<std::string>().empty()) {
                return reply->result(text_result("tool must be the name of an engine tool (list_engine_tools)", true));
            }
            const json inner = arguments.value("arguments", json::object());
            if (!inner.is_object()) {
                return reply->result(text_result("arguments must be an object (the tool's arguments)", true));
            }
            return engine_call(caller, reply, arguments["tool"].get<std::string>(), inner, params, Naming::Hub);
        }
        return engine_call(caller, reply, name, arguments, params, Naming::Direct);
    } catch (const std::exception& error) {
        spdlog::error("mcp: tools/call: {}", error.what());
        reply->error(500, kInternalError, "Internal error");
    }
}

void McpServer::engine_call(const Caller& caller, const std::shared_ptr<Reply>& reply, const std::string& name,
                            const json& arguments, const json& params, Naming naming) {
    const auto tab = tab_of(caller.session.get());
    const std::string missing_session = caller.style == ResultStyle::Stateless
                                            ? " (pass the `session` handle open_project returned)"
                                            : " (open a project first)";
    bool known = false;
    if (tab) {
        for (const auto& tool : tab->tools()) {
            known = known || tool.value("name", "") == name;
        }
    }
    if (!known) {
        const std::string why =
            tab ? fmt::format("Unknown tool: {}", name) : fmt::format("Unknown tool: {}{}", name, missing_session);
        if (naming == Naming::Hub) {
            // A bad argument of call_engine_tool: the model reads it and picks another name.
            return reply->result(text_result(why + (tab ? " (list_engine_tools lists the engine's tools)" : ""), true));
        }
        return reply->error(200, kInvalidParams, why);
    }
    json progress_token;
    if (params.contains("_meta") && params["_meta"].is_object() && params["_meta"].contains("progressToken")) {
        progress_token = params["_meta"]["progressToken"];
    }
    call_engine_tool(caller, tab, reply, name, arguments, progress_token);
}

json McpServer::engine_tools_result(const Caller& caller) const {
    // As a session-era client would see them in tools/list: call_engine_tool takes the stateless
    // `session` handle itself, not inside `arguments`.
    json tools = json::array();
    for (const auto& tool : tools_of(caller.session.get())) {
        const json listed = engine_tool(tool, ResultStyle::Session);
        tools.push_back({{"name", listed["name"]},
                         {"title", listed["title"]},
                         {"description", listed["description"]},
                         {"inputSchema", listed["inputSchema"]},
                         {"readOnly", listed["annotations"]["readOnlyHint"]}});
    }
    json result = text_result(fmt::format("The engine has {} tools; call one with call_engine_tool {{tool, "
                                          "arguments}}:\n{}",
                                          tools.size(), tools.dump()));
    result["structuredContent"] = {{"tools", tools}};
    return result;
}

json McpServer::versions_tool(const Caller& caller, const std::string& name, const json& arguments) {
    std::string project_id;
    if (arguments.contains("project_id")) {
        if (!arguments["project_id"].is_string() || arguments["project_id"].get<std::string>().empty()) {
            return text_result("project_id must be a non-empty string", true);
        }
        project_id = arguments["project_id"];
    } else {
        project_id = project_of(caller.session.get());
    }
    if (project_id.empty()) {
        return text_result("No project: give project_id, or open a project first.", true);
    }
    if (name == "list_versions") {
        auto page = api::page_request(arguments);
        return service_result(page ? api::list_versions(m_api, caller.subject, project_id, *page)
                                   : Result<json>(fail(page.error())));
    }
    if (!arguments.contains("version") || !arguments["version"].is_string()) {
        return text_result("version must be a revision id (a string of 4-40 hex digits, from list_versions)", true);
    }
    // Restoring reopens the version in every live session of the project (on_restored).
    json result = service_result(
        api::restore_version(m_api, caller.subject, project_id, arguments["version"].get<std::string>()));
    if (!result.value("isError", false)) {
        const std::string revision = result["structuredContent"].value("rev", "");
        result["content"] = json::array(
            {{{"type", "text"},
              {"text", fmt::format("Restored version {} as the new version {}; a live session of the project "
                                   "reopens it.",
                                   arguments["version"].get<std::string>(), revision)}},
             {{"type", "text"}, {"text", result["structuredContent"].dump()}}});
    }
    return result;
}

void McpServer::open_project(Caller caller, const std::shared_ptr<Reply>& reply, const json& arguments) {
    if (!arguments.contains("project_id") || !arguments["project_id"].is_string() ||
        arguments["project_id"].get<std::string>().empty()) {
        return reply->result(text_result("project_id must be a non-empty string", true));
    }
    const std::string project_id = arguments["project_id"];
    std::string handle;
    if (caller.style == ResultStyle::Stateless) {
        if (caller.session && project_of(caller.session.get()) != project_id) {
            // A seat's handle names its project: another project gets a new seat and handle.
            drop_seat(caller.session, "another project was opened in it");
            caller.session.reset();
        }
        if (!caller.session) {
            auto created = new_seat(caller, project_id);
            if (!created) {
                return reply->result(text_result(created.error().message, true));
            }
            caller.session = std::move(*created);
            track(reply, caller.session);
        }
        handle = caller.session->id;
    }
    const auto session = caller.session;
    detach(*session);
    auto tab = std::make_shared<SessionSeat>();
    tab->on_tools_changed([weak_self = weak_from_this(), weak_session = std::weak_ptr<Session>(session)] {
        auto self = weak_self.lock();
        auto alive = weak_session.lock();
        if (self && alive) {
            self->tools_changed(*alive);
        }
    });
    {
        const std::lock_guard lock(session->mutex);
        session->tab = tab;
    }
    const std::string re = tab->next_request_id();
    std::weak_ptr<SessionSeat> weak_tab = tab;
    // A failed open leaves the tab in place: the reply may come while the session manager holds a
    // lock, so detaching here could deadlock; the next open_project, close_project or DELETE does.
    tab->expect_ready(re, [weak_self = weak_from_this(), weak_session = std::weak_ptr<Session>(session), reply,
                           weak_tab, handle, project_id, who = session->id.substr(0, 8),
                           kind = session->stateless ? "seat" : "session"](const sessions::SessionEvent& event) {
        const auto self = weak_self.lock();
        if (const auto alive = weak_session.lock(); self && alive) {
            self->touch(*alive); // the client's quiet time starts when its open is answered
        }
        auto opened = weak_tab.lock();
        const std::string hub_session = opened ? opened->session_id() : "";
        json result = ready_result(event, hub_session, handle);
        if (result.value("isError", false)) {
            spdlog::info("mcp {} {}: open_project {} failed", kind, who, project_id);
        } else {
            spdlog::info("mcp {} {}: open_project {} (hub session {})", kind, who, project_id, hub_session);
        }
        reply->result(std::move(result));
    });
    // The project's live session, whoever started it, is joined (one live session per project).
    m_sessions->start(session->subject, project_id, {}, tab, re, mcp_client(session->client));
}

void McpServer::call_engine_tool(const Caller& caller, const std::shared_ptr<SessionSeat>& tab,
                                 const std::shared_ptr<Reply>& reply, const std::string& name, const json& arguments,
                                 const json& progress_token) {
    const std::string re = tab->next_request_id();
    // A call id of our own: the engine's render/progress names it, and a cancel needs it.
    const std::string call_id = "mcp-" + new_uuid();
    const std::string request_key = reply->id().dump();
    {
        const std::lock_guard lock(caller.session->mutex);
        caller.session->calls[request_key] = call_id;
    }
    if (!progress_token.is_null() && reply->streaming()) {
        // The engine's render/progress for this call becomes notifications/progress on its stream.
        tab->watch_progress(call_id, [reply, progress_token](const json& payload) {
            json params{{"progressToken", progress_token}, {"progress", payload.value("done", json(0))}};
            if (payload.contains("total") && payload["total"].is_number()) {
                params["total"] = payload["total"];
                params["message"] =
                    fmt::format("{} of {}", payload.value("done", json(0)).dump(), payload["total"].dump());
            }
            reply->notify(notification("notifications/progress", params));
        });
    }
    std::weak_ptr<SessionSeat> weak_tab = tab;
    std::weak_ptr<Session> weak_session = caller.session;
    tab->expect_reply(re, [weak_self = weak_from_this(), reply, weak_tab, weak_session, call_id,
                           request_key](const sessions::SessionEvent& event) {
        if (auto alive = weak_tab.lock()) {
            alive->forget_progress(call_id);
        }
        const auto session = weak_session.lock();
        if (session) {
            const std::lock_guard lock(session->mutex);
            if (auto found = session->calls.find(request_key);
                found != session->calls.end() && found->second == call_id) {
                session->calls.erase(found);
            }
        }
        if (auto self = weak_self.lock(); self && session) {
            self->touch(*session); // the client's quiet time starts when its last call ends
        }
        reply->result(command_result(event));
    });
    // A client that closes the call's stream gives up on it (the stateless revision's cancel).
    reply->on_abandoned(
        [weak_self = weak_from_this(), subject = caller.subject, hub_session = tab->session_id(), call_id] {
            if (auto self = weak_self.lock()) {
                (void)self->m_sessions->cancel_call(subject, hub_session, call_id);
            }
        });
    m_sessions->command(caller.subject, tab->session_id(), name, arguments, tab, re, call_id);
}

void McpServer::cancel_call(Session& session, const json& request_id) {
    std::string call_id;
    std::shared_ptr<SessionSeat> tab;
    {
        const std::lock_guard lock(session.mutex);
        const auto found = session.calls.find(request_id.dump());
        if (found == session.calls.end()) {
            return; // finished already, or not an engine call
        }
        call_id = found->second;
        tab = session.tab;
    }
    if (tab) {
        (void)m_sessions->cancel_call(session.subject, tab->session_id(), call_id);
    }
}

void McpServer::detach(Session& session) {
    std::shared_ptr<SessionSeat> tab;
    {
        const std::lock_guard lock(session.mutex);
        tab = std::move(session.tab);
        session.tab.reset();
        session.parked_project.clear();
        session.parked_tools = json();
    }
    if (tab) {
        m_sessions->detach(tab);
        tab->fail_pending("the project was closed");
        tools_changed(session);
    }
}

} // namespace atelier::mcp
