// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"
#include "rest_client.h"

namespace atelier::testing {
namespace {

/// `atelier user add NAME --password-stdin` on `data_dir` (works while a hub serves it).
void add_user(const std::filesystem::path& data_dir, const std::string& name, const std::string& password) {
    const auto added = run_command({"/bin/sh", "-c",
                                    "printf '%s\\n' \"$2\" | \"$0\" user add \"$1\" --password-stdin --data-dir \"$3\"",
                                    atelier_binary(), name, password, data_dir.string()});
    ASSERT_EQ(added.exit_code, 0) << added.err;
}

/// The value of cookie `name` among the Set-Cookie lines of a reply, with its attributes.
std::string set_cookie(const HttpResult& reply, const std::string& name) {
    const auto found = reply.headers.find("set-cookie");
    if (found == reply.headers.end()) {
        return {};
    }
    std::size_t start = 0;
    while (start <= found->second.size()) {
        const auto end = std::min(found->second.find('\n', start), found->second.size());
        const std::string line = found->second.substr(start, end - start);
        if (line.rfind(name + "=", 0) == 0) {
            return line;
        }
        start = end + 1;
    }
    return {};
}

/// "atelier_token=abc; Path=/; …" → "abc".
std::string cookie_value(const std::string& set_cookie_line) {
    const auto equals = set_cookie_line.find('=');
    const auto semicolon = set_cookie_line.find(';');
    return set_cookie_line.substr(equals + 1, semicolon - equals - 1);
}

HttpResult login(const HubProcess& hub, const std::string& username, const std::string& password,
                 const std::map<std::string, std::string>& headers = {}) {
    auto all = headers;
    all.emplace("Content-Type", "application/json");
    return http_request(hub.port(), "POST", "/api/login", all,
                        nlohmann::json{{"username", username}, {"password", password}}.dump());
}

nlohmann::json health(const HubProcess& hub) {
    return nlohmann::json::parse(http_request(hub.port(), "GET", "/api/health").body);
}

class SignInTest : public ::testing::Test {
protected:
    void SetUp() override {
        hub = HubProcess::start({.data_dir = data.path()});
        add_user(data.path(), "alice", "correct horse");
    }
    TempDir data;
    std::unique_ptr<HubProcess> hub;
};

TEST(SignIn, HealthSaysWhetherAccountsExist) {
    TempDir data;
    auto hub = HubProcess::start({.data_dir = data.path()});
    EXPECT_EQ(health(*hub)["accounts"], false) << "only the admin, who signs in with the token";
    add_user(data.path(), "bob", "secret");
    EXPECT_EQ(health(*hub)["accounts"], true);
}

TEST(SignIn, HealthSaysNoModelIsConfiguredAndWhatToSet) {
    auto hub = HubProcess::start();
    const auto model = health(*hub)["model"];
    EXPECT_EQ(model["configured"], false);
    EXPECT_EQ(model["reason"], "no model provider is set");
    EXPECT_NE(model["message"].get<std::string>().find("ATELIER_MODEL_PROVIDER"), std::string::npos) << model;
    EXPECT_FALSE(model.contains("provider"));
}

TEST(SignIn, HealthNamesTheConfiguredModel) {
    auto hub = HubProcess::start({.env = {{"ATELIER_MODEL_PROVIDER", "openai"},
                                          {"ATELIER_MODEL", "local"},
                                          {"ATELIER_MODEL_BASE_URL", "http://127.0.0.1:9/v1"}}});
    const auto model = health(*hub)["model"];
    EXPECT_EQ(model["configured"], true) << model;
    EXPECT_EQ(model["provider"], "openai");
    EXPECT_EQ(model["model"], "local");
    EXPECT_FALSE(model.contains("message"));
}

TEST(SignIn, EnginesListsTheConfiguredKinds) {
    TempDir config_dir;
    const auto file = config_dir.path() / "atelier.toml";
    std::ofstream(file) << "[engines.zeta]\ncommand = [\"true\"]\n[engines.alpha]\ncommand = [\"true\"]\n";
    auto hub = HubProcess::start({.args = {"--config", file.string()}});
    const auto reply = rest(hub->port(), hub->token(), "GET", "/api/engines");
    ASSERT_EQ(reply.status, 200) << reply.raw;
    EXPECT_EQ(reply.body["kinds"], nlohmann::json::array({"alpha", "zeta"}));
    EXPECT_TRUE(reply.body["items"].is_array());
}

TEST_F(SignInTest, ARightPasswordSetsACookieThatActsAsTheUser) {
    const auto reply = login(*hub, "alice", "correct horse");
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(nlohmann::json::parse(reply.body)["user"]["name"], "alice");
    const std::string token_cookie = set_cookie(reply, "atelier_token");
    ASSERT_FALSE(token_cookie.empty()) << reply.headers.at("set-cookie");
    EXPECT_NE(token_cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(token_cookie.find("SameSite=Strict"), std::string::npos);
    EXPECT_NE(token_cookie.find("Path=/"), std::string::npos);

    const std::map<std::string, std::string> cookie{{"Cookie", "atelier_token=" + cookie_value(token_cookie)}};
    const auto created =
        http_request(hub->port(), "POST", "/api/projects", cookie, R"({"name":"mine","kind":"blender"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = nlohmann::json::parse(created.body)["id"];
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects/" + id, cookie).status, 200);
    EXPECT_EQ(rest(hub->port(), hub->token(), "GET", "/api/projects/" + id).status, 404) << "alice's, not the admin's";
}

TEST_F(SignInTest, AWrongPasswordAndAnUnknownUserGetTheSameAnswer) {
    const auto wrong_password = login(*hub, "alice", "wrong");
    const auto unknown_user = login(*hub, "mallory", "correct horse");
    EXPECT_EQ(wrong_password.status, 401);
    EXPECT_EQ(unknown_user.status, 401);
    EXPECT_EQ(wrong_password.body, unknown_user.body);
    EXPECT_EQ(nlohmann::json::parse(wrong_password.body)["error"]["code"], "unauthorized");
    EXPECT_EQ(wrong_password.headers.count("set-cookie"), 0U);
}

TEST_F(SignInTest, AMissingFieldIsABadRequestNamingIt) {
    const auto reply = http_request(hub->port(), "POST", "/api/login", {{"Content-Type", "application/json"}},
                                    R"({"username":"alice"})");
    EXPECT_EQ(reply.status, 400);
    EXPECT_NE(reply.body.find("password"), std::string::npos) << reply.body;
}

TEST_F(SignInTest, SignOutRevokesTheSignInToken) {
    const auto reply = login(*hub, "alice", "correct horse");
    ASSERT_EQ(reply.status, 200) << reply.body;
    const std::string token = cookie_value(set_cookie(reply, "atelier_token"));
    const std::string sign_in = cookie_value(set_cookie(reply, "atelier_sign_in"));
    ASSERT_FALSE(sign_in.empty());
    EXPECT_NE(set_cookie(reply, "atelier_sign_in").find("Path=/api/logout"), std::string::npos);
    const std::map<std::string, std::string> cookies{
        {"Cookie", "atelier_token=" + token + "; atelier_sign_in=" + sign_in}};
    ASSERT_EQ(http_request(hub->port(), "GET", "/api/projects", cookies).status, 200);

    const auto out = http_request(hub->port(), "POST", "/api/logout", cookies);
    EXPECT_EQ(out.status, 204);
    EXPECT_NE(set_cookie(out, "atelier_token").find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects", cookies).status, 401) << "the token is revoked";
}

TEST_F(SignInTest, SignOutLeavesATokenThatWasNotMadeBySignIn) {
    // Signed in with the token link: sign-out only clears the cookie, the admin token stays valid.
    const std::map<std::string, std::string> cookies{{"Cookie", "atelier_token=" + hub->token()}};
    EXPECT_EQ(http_request(hub->port(), "POST", "/api/logout", cookies).status, 204);
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/projects", cookies).status, 200);
}

TEST_F(SignInTest, SignOutCannotRevokeAnotherUsersSignIn) {
    add_user(data.path(), "bob", "battery staple");
    const auto bob = login(*hub, "bob", "battery staple");
    const auto alice = login(*hub, "alice", "correct horse");
    ASSERT_EQ(bob.status, 200);
    ASSERT_EQ(alice.status, 200);
    const std::string bob_token = cookie_value(set_cookie(bob, "atelier_token"));
    const std::string bob_sign_in = cookie_value(set_cookie(bob, "atelier_sign_in"));
    const std::string alice_token = cookie_value(set_cookie(alice, "atelier_token"));
    // Alice's sign-out naming bob's sign-in token: only her cookies are cleared.
    const std::map<std::string, std::string> forged{
        {"Cookie", "atelier_token=" + alice_token + "; atelier_sign_in=" + bob_sign_in}};
    EXPECT_EQ(http_request(hub->port(), "POST", "/api/logout", forged).status, 204);
    EXPECT_EQ(rest(hub->port(), bob_token, "GET", "/api/projects").status, 200);
}

TEST_F(SignInTest, RepeatedFailuresAreThrottledEvenForTheRightPassword) {
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(login(*hub, "alice", "wrong").status, 401) << "attempt " << i;
    }
    const auto throttled = login(*hub, "alice", "correct horse");
    EXPECT_EQ(throttled.status, 429) << throttled.body;
    EXPECT_EQ(nlohmann::json::parse(throttled.body)["error"]["code"], "rate_limited");
    ASSERT_TRUE(throttled.headers.contains("retry-after"));
    EXPECT_GT(std::stoi(throttled.headers.at("retry-after")), 0);
    EXPECT_EQ(throttled.headers.count("set-cookie"), 0U);

    add_user(data.path(), "bob", "battery staple");
    EXPECT_EQ(login(*hub, "bob", "battery staple").status, 200) << "another user from the same address is not locked";
}

TEST_F(SignInTest, ACrossOriginSignInIsRefused) {
    const auto port = std::to_string(hub->port());
    EXPECT_EQ(login(*hub, "alice", "correct horse", {{"Origin", "http://evil.example"}}).status, 403);
    EXPECT_EQ(
        login(*hub, "alice", "correct horse", {{"Origin", "http://127.0.0.1:" + port}, {"Host", "127.0.0.1:" + port}})
            .status,
        200);
}

} // namespace
} // namespace atelier::testing
