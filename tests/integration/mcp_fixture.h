// SPDX-License-Identifier: Apache-2.0
#pragma once

// The fixture of the /mcp tests: the hub with the C++ test engine as engine kind `test`, and
// JSON-RPC over raw HTTP in the session-based revision.

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcp_client.h"
#include "session_fixture.h"

namespace atelier::testing {

class McpTest : public SessionTest {
protected:
    std::map<std::string, std::string> headers(const std::string& session = {}) const {
        return mcp_headers(hub->bearer(), session);
    }

    HttpResult post(const std::map<std::string, std::string>& request_headers, const json& message) {
        return http_request(hub->port(), "POST", "/mcp", request_headers, message.dump());
    }

    /// initialize + notifications/initialized; the Mcp-Session-Id.
    std::string initialize() {
        const auto response = post(headers(), {{"jsonrpc", "2.0"},
                                               {"id", 1},
                                               {"method", "initialize"},
                                               {"params",
                                                {{"protocolVersion", kMcpVersion},
                                                 {"capabilities", json::object()},
                                                 {"clientInfo", {{"name", "mcp_test"}, {"version", "1"}}}}}});
        EXPECT_EQ(response.status, 200) << response.body;
        const auto body = json::parse(response.body);
        EXPECT_EQ(body["result"]["protocolVersion"], kMcpVersion);
        EXPECT_EQ(body["result"]["capabilities"]["tools"]["listChanged"], true);
        const std::string session =
            response.headers.count("mcp-session-id") ? response.headers.at("mcp-session-id") : "";
        EXPECT_FALSE(session.empty());
        const auto initialized = post(headers(session), {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
        EXPECT_EQ(initialized.status, 202) << initialized.body;
        return session;
    }

    /// One request in `session`; the whole JSON-RPC response. It comes as JSON, or as an SSE body
    /// whose last message it is; the messages before it (notifications) are kept in m_notified.
    json request(const std::string& session, const std::string& method, const json& params = json::object()) {
        const auto response =
            post(headers(session), {{"jsonrpc", "2.0"}, {"id", ++m_next_id}, {"method", method}, {"params", params}});
        EXPECT_EQ(response.status, 200) << response.body << response.error << hub->log();
        const std::string type = response.headers.count("content-type") ? response.headers.at("content-type") : "";
        m_answer_type = type;
        m_notified.clear();
        json body;
        if (type == "text/event-stream") {
            auto messages = sse_messages(response.body);
            EXPECT_FALSE(messages.empty()) << response.body;
            if (!messages.empty()) {
                body = messages.back();
                messages.pop_back();
            }
            m_notified = std::move(messages);
        } else {
            EXPECT_EQ(type, "application/json");
            body = json::parse(response.body, nullptr, false);
        }
        EXPECT_EQ(body["id"], m_next_id);
        return body;
    }

    /// Whether the last request's answer carried notification `method` before its response.
    bool notified(const std::string& method) const {
        for (const auto& message : m_notified) {
            if (message.value("method", "") == method) {
                return true;
            }
        }
        return false;
    }

    json call(const std::string& session, const std::string& tool, const json& arguments = json::object()) {
        return request(session, "tools/call", {{"name", tool}, {"arguments", arguments}});
    }

    /// The GET stream of `session`.
    std::unique_ptr<SseReader> listen(const std::string& session, const std::string& last_event_id = {}) {
        auto stream_headers = headers(session);
        stream_headers.erase("Content-Type");
        stream_headers["Accept"] = "text/event-stream";
        if (!last_event_id.empty()) {
            stream_headers["Last-Event-ID"] = last_event_id;
        }
        auto reader = std::make_unique<SseReader>(hub->port(), "GET", stream_headers);
        EXPECT_EQ(reader->status(), 200);
        return reader;
    }

    static bool has_tool(const json& list, const std::string& name) { return find_tool(list, name) != nullptr; }

    static json find_tool(const json& list, const std::string& name) {
        for (const auto& tool : list["result"]["tools"]) {
            if (tool["name"] == name) {
                return tool;
            }
        }
        return nullptr;
    }

    /// Calls get_viewport until a frame is there (the frame a call produced may follow its result).
    json viewport(const std::string& session) {
        json result;
        for (int attempt = 0; attempt < 50; ++attempt) {
            result = call(session, "get_viewport");
            if (!result["result"].value("isError", false)) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return result;
    }

    int m_next_id = 1;
    std::string m_answer_type;    ///< the content type of the last request's answer
    std::vector<json> m_notified; ///< the notifications that came before the last request's answer
};

} // namespace atelier::testing
