// SPDX-License-Identifier: Apache-2.0
#include "api/engines_api.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_request.h"

namespace atelier::api {
namespace {

Result<std::shared_ptr<engines::EngineLink>> find_engine(const engines::EngineDirectory& directory,
                                                         const net::HttpRequest& request) {
    const auto& id = request.params.at("id");
    auto link = directory.find(id);
    if (!link) {
        return fail(ErrorCode::NotFound, fmt::format("no connected engine {}", id));
    }
    return link;
}

} // namespace

net::HttpResponse EnginesApi::list(net::HttpRequest& /*request*/) const {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& link : directory.list()) {
        items.push_back(link->describe());
    }
    return json_response(200, {{"items", items}, {"kinds", kinds}});
}

net::HttpResponse EnginesApi::tools(net::HttpRequest& request) const {
    auto link = find_engine(directory, request);
    if (!link) {
        return error_response(link.error());
    }
    const auto snapshot = (*link)->tools().snapshot();
    nlohmann::json items = nlohmann::json::array();
    for (const auto& tool : snapshot->tools) {
        items.push_back(tool->to_json());
    }
    return json_response(200, {{"registry_version", snapshot->version}, {"items", items}});
}

void EnginesApi::call(net::HttpRequest& request, net::HttpResponder responder) const {
    auto link = find_engine(directory, request);
    if (!link) {
        return responder.send(error_response(link.error()));
    }
    auto body = parse_object(request.body, {"tool", "arguments", "call_id"});
    if (!body) {
        return responder.send(error_response(body.error()));
    }
    auto tool = string_field(*body, "tool", Presence::Required, 200);
    auto call_id = string_field(*body, "call_id", Presence::Optional, 200);
    if (!tool || !call_id) {
        return responder.send(error_response(!tool ? tool.error() : call_id.error()));
    }
    const auto arguments = body->value("arguments", nlohmann::json::object());
    if (!arguments.is_object()) {
        return responder.send(error_response(Error{ErrorCode::InvalidArgument, "arguments: must be an object"}));
    }
    // The responder answers when the engine does (or the call times out / the engine drops).
    auto shared = std::make_shared<net::HttpResponder>(std::move(responder));
    (*link)->call(
        **tool, arguments,
        [shared](Result<engines::ToolCallResult> result) {
            if (!result) {
                return shared->send(error_response(result.error()));
            }
            shared->send(json_response(200, {{"content", result->content},
                                             {"data", result->data},
                                             {"scene", result->scene},
                                             {"duration_ms", result->duration_ms},
                                             {"mutates", result->mutates}}));
        },
        call_id->value_or(""));
}

net::HttpResponse EnginesApi::cancel(net::HttpRequest& request) const {
    auto link = find_engine(directory, request);
    if (!link) {
        return error_response(link.error());
    }
    const auto& call_id = request.params.at("call_id");
    if (!(*link)->cancel(call_id)) {
        return error_response(Error{ErrorCode::NotFound, fmt::format("no call {} in flight", call_id)});
    }
    return json_response(200, {{"cancelled", call_id}});
}

net::HttpResponse EnginesApi::issue_launch_token(net::HttpRequest& request) const {
    auto body = parse_object(request.body.empty() ? "{}" : request.body, {"kind", "session_id"});
    if (!body) {
        return error_response(body.error());
    }
    auto kind = string_field(*body, "kind", Presence::Optional, 64);
    auto session = string_field(*body, "session_id", Presence::Optional, 64);
    if (!kind || !session) {
        return error_response(!kind ? kind.error() : session.error());
    }
    const auto token = tokens.issue({kind->value_or(""), session->value_or("")});
    return json_response(201, {{"token", token}, {"expires_in_s", 600}});
}

} // namespace atelier::api
