// SPDX-License-Identifier: Apache-2.0
#pragma once

// MCP clients of one hub over raw HTTP, for the cluster tests and bench/cluster_bench: the
// session-era McpPeer and the stateless (2026-07-28) StatelessPeer.

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "clients.h"
#include "mcp_client.h"

namespace atelier::testing {

/// The JSON-RPC response of an answer to a POST /mcp: its JSON body, or the last message of its
/// SSE body; null when it was not a 200.
inline nlohmann::json mcp_answer(const HttpResult& response) {
    if (response.status != 200) {
        return nullptr;
    }
    const auto type = response.headers.count("content-type") ? response.headers.at("content-type") : "";
    if (type == "text/event-stream") {
        auto messages = sse_messages(response.body);
        return messages.empty() ? nlohmann::json() : messages.back();
    }
    return nlohmann::json::parse(response.body, nullptr, false);
}

/// A session-era MCP client of one hub, over raw HTTP.
class McpPeer {
public:
    McpPeer(std::uint16_t port, std::string token) : m_port(port), m_token(std::move(token)) {}

    std::map<std::string, std::string> headers() const { return mcp_headers("Bearer " + m_token, session); }

    /// initialize + notifications/initialized; false when either failed.
    bool initialize() {
        const auto response =
            http_request(m_port, "POST", "/mcp", headers(),
                         nlohmann::json{{"jsonrpc", "2.0"},
                                        {"id", 1},
                                        {"method", "initialize"},
                                        {"params",
                                         {{"protocolVersion", kMcpVersion},
                                          {"capabilities", nlohmann::json::object()},
                                          {"clientInfo", {{"name", "cluster_mcp_test"}, {"version", "1"}}}}}}
                             .dump());
        if (response.status != 200 || !response.headers.count("mcp-session-id")) {
            return false;
        }
        session = response.headers.at("mcp-session-id");
        return http_request(m_port, "POST", "/mcp", headers(),
                            nlohmann::json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump())
                   .status == 202;
    }

    /// One request; its JSON-RPC response (the last message of an SSE answer), or null when the
    /// answer was not a 200 (`status` says what it was).
    nlohmann::json request(const std::string& method, const nlohmann::json& params = nlohmann::json::object()) {
        const auto response = http_request(
            m_port, "POST", "/mcp", headers(),
            nlohmann::json{{"jsonrpc", "2.0"}, {"id", ++m_next_id}, {"method", method}, {"params", params}}.dump());
        status = response.status;
        return mcp_answer(response);
    }

    nlohmann::json call(const std::string& tool, const nlohmann::json& arguments = nlohmann::json::object()) {
        return request("tools/call", {{"name", tool}, {"arguments", arguments}});
    }

    /// Whether a tool call succeeded (a 200 whose result is no error).
    static bool succeeded(const nlohmann::json& answer) {
        return answer.is_object() && answer.contains("result") && !answer["result"].value("isError", false);
    }

    /// The session's GET stream.
    std::unique_ptr<SseReader> listen() const {
        auto stream_headers = headers();
        stream_headers.erase("Content-Type");
        stream_headers["Accept"] = "text/event-stream";
        return std::make_unique<SseReader>(m_port, "GET", stream_headers);
    }

    std::string session;
    int status = 0;

private:
    std::uint16_t m_port;
    std::string m_token;
    int m_next_id = 1;
};

/// A client of the stateless revision 2026-07-28 of one hub, over raw HTTP: no session; the version
/// and capabilities in every request's `_meta`, the method and tool name mirrored in headers.
class StatelessPeer {
public:
    StatelessPeer(std::uint16_t port, std::string token) : m_port(port), m_token(std::move(token)) {}

    /// The request `method` with `params` (its `_meta` filled in), and the headers it needs.
    nlohmann::json message(const std::string& method, nlohmann::json params = nlohmann::json::object()) {
        params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                           {"io.modelcontextprotocol/clientInfo", {{"name", "cluster_stateless"}, {"version", "1"}}},
                           {"io.modelcontextprotocol/clientCapabilities", nlohmann::json::object()}};
        return {{"jsonrpc", "2.0"}, {"id", ++m_next_id}, {"method", method}, {"params", params}};
    }
    std::map<std::string, std::string> headers(const nlohmann::json& body) const {
        auto result = mcp_headers("Bearer " + m_token, "");
        result["MCP-Protocol-Version"] = "2026-07-28";
        result["Mcp-Method"] = body["method"];
        if (body["method"] == "tools/call") {
            result["Mcp-Name"] = body["params"]["name"];
        }
        return result;
    }

    /// One request; its JSON-RPC response (the last message of an SSE answer), or null when the
    /// answer was not a 200 (`status` says what it was).
    nlohmann::json request(const std::string& method, const nlohmann::json& params = nlohmann::json::object()) {
        const auto body = message(method, params);
        const auto response = http_request(m_port, "POST", "/mcp", headers(body), body.dump());
        status = response.status;
        return mcp_answer(response);
    }

    nlohmann::json call(const std::string& tool, const nlohmann::json& arguments = nlohmann::json::object()) {
        return request("tools/call", {{"name", tool}, {"arguments", arguments}});
    }

    /// A `subscriptions/listen` stream for tool list changes.
    std::unique_ptr<SseReader> listen() {
        const auto body = message("subscriptions/listen", {{"notifications", {{"toolsListChanged", true}}}});
        return std::make_unique<SseReader>(m_port, "POST", headers(body), body.dump());
    }

    int status = 0;

private:
    std::uint16_t m_port;
    std::string m_token;
    int m_next_id = 0;
};

} // namespace atelier::testing
