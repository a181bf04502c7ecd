// SPDX-License-Identifier: Apache-2.0
#include "rest_client.h"

#include <gtest/gtest.h>

#include "clients.h"

namespace atelier::testing {

RestReply rest(std::uint16_t port, const std::string& token, const std::string& method, const std::string& target,
               const std::string& body) {
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token}};
    if (!body.empty()) {
        headers["Content-Type"] = "application/json";
    }
    const HttpResult result = http_request(port, method, target, headers, body);
    RestReply reply{result.status, result.headers, result.body, nullptr};
    if (!result.body.empty()) {
        reply.body = nlohmann::json::parse(result.body, nullptr, false);
        if (reply.body.is_discarded()) {
            reply.body = nullptr;
        }
    }
    return reply;
}

RestReply rest_json(std::uint16_t port, const std::string& token, const std::string& method, const std::string& target,
                    const nlohmann::json& body) {
    return rest(port, token, method, target, body.dump());
}

std::string create_project(std::uint16_t port, const std::string& token, const std::string& name,
                           const std::string& kind) {
    const auto reply = rest_json(port, token, "POST", "/api/projects", nlohmann::json{{"name", name}, {"kind", kind}});
    EXPECT_EQ(reply.status, 201) << reply.raw;
    return reply.status == 201 ? reply.body["id"].get<std::string>() : std::string();
}

std::string create_user_token(std::uint16_t port, const std::string& admin_token, const std::string& user) {
    const auto reply =
        rest_json(port, admin_token, "POST", "/api/tokens", nlohmann::json{{"user", user}, {"label", "test"}});
    EXPECT_EQ(reply.status, 201) << reply.raw;
    return reply.status == 201 ? reply.body["token"].get<std::string>() : std::string();
}

void expect_project_crud_works(std::uint16_t port, const std::string& token) {
    const auto created =
        rest_json(port, token, "POST", "/api/projects", nlohmann::json{{"name", "Teapot"}, {"kind", "blender"}});
    ASSERT_EQ(created.status, 201) << created.raw;
    const std::string id = created.body["id"];
    EXPECT_EQ(created.headers.at("location"), "/api/projects/" + id);
    EXPECT_EQ(created.body["name"], "Teapot");
    EXPECT_EQ(created.body["kind"], "blender");
    EXPECT_TRUE(created.body["created_at"].is_number_integer());
    EXPECT_EQ(created.body["current_version"].get<std::string>().size(), 40U);

    const auto listed = rest(port, token, "GET", "/api/projects");
    ASSERT_EQ(listed.status, 200) << listed.raw;
    ASSERT_EQ(listed.body["items"].size(), 1U);
    EXPECT_EQ(listed.body["items"][0]["id"], id);
    EXPECT_TRUE(listed.body["next_cursor"].is_null());

    const auto fetched = rest(port, token, "GET", "/api/projects/" + id);
    ASSERT_EQ(fetched.status, 200) << fetched.raw;
    EXPECT_EQ(fetched.body["name"], "Teapot");
    EXPECT_TRUE(fetched.body["messages"].is_array());

    const auto renamed = rest_json(port, token, "PATCH", "/api/projects/" + id, nlohmann::json{{"name", "Kettle"}});
    ASSERT_EQ(renamed.status, 200) << renamed.raw;
    EXPECT_EQ(renamed.body["name"], "Kettle");
    EXPECT_EQ(rest(port, token, "GET", "/api/projects/" + id).body["name"], "Kettle");

    const auto versions = rest(port, token, "GET", "/api/projects/" + id + "/versions");
    ASSERT_EQ(versions.status, 200) << versions.raw;
    ASSERT_EQ(versions.body["items"].size(), 1U);
    EXPECT_EQ(versions.body["items"][0]["rev"], created.body["current_version"]);

    const auto removed = rest(port, token, "DELETE", "/api/projects/" + id);
    EXPECT_EQ(removed.status, 204) << removed.raw;
    EXPECT_EQ(rest(port, token, "GET", "/api/projects/" + id).status, 404);
    EXPECT_TRUE(rest(port, token, "GET", "/api/projects").body["items"].empty());
}

} // namespace atelier::testing
