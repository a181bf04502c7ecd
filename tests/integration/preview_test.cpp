// SPDX-License-Identifier: Apache-2.0
// Live previews through the real hub (issue #9, DESIGN §4): the test engine announces a preview
// server (`--preview-port`, served here by an in-process upstream), the hub names it in
// session:ready and proxies /preview/<session-id>/ to it for the session's owner only; errors
// the preview reports start automatic fix turns (fake model server), at most two per user turn.

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "local_server.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;

// The preview server stand-in: answers every GET with the target it received.
net::Router upstream_routes() {
    net::Router router;
    router.add("GET", "/preview/{rest*}", net::Access::Public, [](net::HttpRequest& request) {
        return net::HttpResponse::json(
            200, json{{"target", request.target}, {"cookie", std::string(request.header("Cookie"))}}.dump());
    });
    return router;
}

class PreviewTest : public SessionTest {
protected:
    void start_preview_hub(const std::string& more_config = {}) {
        upstream = std::make_unique<LocalServer>(upstream_routes(), nobody);
        start_hub("[\"" + test_engine_binary() + "\", \"--preview-port\", \"" + std::to_string(upstream->port()) +
                      "\"]",
                  {}, more_config);
        ASSERT_NE(hub, nullptr);
    }

    std::unique_ptr<LocalServer> upstream;
};

TEST_F(PreviewTest, ThePreviewIsProxiedForTheSessionsOwnerOnly) {
    start_preview_hub();
    const auto project = create_project(auth());
    Tab tab(*hub);
    const auto ready = start_session(tab, project);
    ASSERT_FALSE(ready.is_null());
    const std::string session_id = ready["session_id"];
    const std::string path = "/preview/" + session_id + "/";
    EXPECT_EQ(ready["preview"], path);
    const auto announced = tab.next("preview:ready"); // the first engine's, sent before session:ready
    ASSERT_FALSE(announced.is_null());
    EXPECT_EQ(announced["payload"]["url"], path);

    auto page = http_request(hub->port(), "GET", path + "index.html?composition=Main",
                             {{"Cookie", "atelier_token=" + hub->token()}});
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(json::parse(page.body)["target"], path + "index.html?composition=Main");
    EXPECT_EQ(json::parse(page.body)["cookie"], ""); // the hub's credentials stay with the hub

    EXPECT_EQ(http_request(hub->port(), "GET", path + "index.html").status, 401);
    EXPECT_EQ(http_request(hub->port(), "GET", "/preview/no-such-session/index.html", auth()).status, 404);

    // Another user cannot reach this user's preview, even with the session id.
    const auto created = http_request(hub->port(), "POST", "/api/tokens", auth(), json{{"user", "bob"}}.dump());
    if (created.status == 201) {
        const std::string bob = json::parse(created.body)["token"];
        EXPECT_EQ(http_request(hub->port(), "GET", path + "index.html", {{"Authorization", "Bearer " + bob}}).status,
                  404);
    }

    // A relaunched engine announces its preview again; until then there is none.
    tab.send("command:send", {{"tool", "basics__crash"}, {"arguments", json::object()}});
    auto again = tab.next("preview:ready", std::chrono::seconds(60));
    ASSERT_FALSE(again.is_null()) << json(tab.seen).dump() << hub->log();
    EXPECT_EQ(again["payload"]["url"], path);
    EXPECT_EQ(http_request(hub->port(), "GET", path + "x.js", auth()).status, 200);
}

TEST_F(PreviewTest, PreviewErrorsWithoutAModelAreAcknowledgedAndBadOnesRefused) {
    start_preview_hub();
    const auto project = create_project(auth());
    Tab tab(*hub);
    ASSERT_FALSE(start_session(tab, project).is_null());

    const auto id = tab.send("preview:error", {{"message", "ReferenceError: x is not defined"}});
    const auto ack = tab.next("ack");
    ASSERT_FALSE(ack.is_null());
    EXPECT_EQ(ack["re"], id);
    EXPECT_EQ(ack["payload"]["fix"], "no_model");

    tab.send("preview:error", {{"stack", "no message"}});
    const auto error = tab.next("error");
    ASSERT_FALSE(error.is_null());
    EXPECT_EQ(error["payload"]["code"], "invalid_argument");
    EXPECT_NE(error["payload"]["message"].get<std::string>().find("message"), std::string::npos);

    Tab stranger(*hub);
    stranger.send("preview:error", {{"message", "boom"}, {"session_id", "not-a-session"}});
    EXPECT_EQ(stranger.next("error")["payload"]["code"], "not_found");
}

class AutoFixTest : public PreviewTest {
protected:
    void SetUp() override {
        std::string error;
        model = FakeModelServer::start(&error);
        ASSERT_NE(model, nullptr) << error;
    }

    void ready() {
        start_preview_hub("[model]\nprovider = \"anthropic\"\nmodel = \"fake-model\"\nbase_url = \"" +
                          model->base_url() + "\"\n");
        project = create_project(auth());
        tab = std::make_unique<Tab>(*hub);
        const auto started = start_session(*tab, project);
        ASSERT_FALSE(started.is_null());
        workdir = (hub->data_dir() / "sessions" / started["session_id"].get<std::string>() / "work").string();
    }

    std::string report(const std::string& message) {
        const auto id = tab->send("preview:error", {{"message", message}, {"composition", "Main"}});
        for (auto ack = tab->next("ack"); !ack.is_null(); ack = tab->next("ack")) {
            if (ack["re"] == id) {
                return ack["payload"].value("fix", "");
            }
        }
        ADD_FAILURE() << "no ack for " << id << ": " << json(tab->seen).dump();
        return "";
    }

    /// The next agent:turn and the agent:complete of the same turn.
    std::pair<json, json> next_turn() {
        auto started = tab->next("agent:turn");
        EXPECT_FALSE(started.is_null()) << json(tab->seen).dump(1) << hub->log();
        auto complete = tab->next("agent:complete");
        EXPECT_FALSE(complete.is_null()) << json(tab->seen).dump(1) << hub->log();
        return {started.is_null() ? json() : started["payload"], complete.is_null() ? json() : complete["payload"]};
    }

    /// The text of the last user message the model was sent.
    std::string last_prompt() {
        const auto requests = model->requests();
        if (requests.empty()) {
            return "";
        }
        const auto& messages = requests.back()["body"]["messages"];
        for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
            if ((*it)["role"] == "user") {
                const auto& content = (*it)["content"];
                return content.is_string() ? content.get<std::string>() : content[0].value("text", "");
            }
        }
        return "";
    }

    std::unique_ptr<FakeModelServer> model;
    std::unique_ptr<Tab> tab;
    std::string project;
    std::string workdir; ///< the session's working tree, as error messages name its files
};

TEST_F(AutoFixTest, AnErrorAfterAUserTurnStartsAtMostTwoAutomaticFixes) {
    ready();
    // Before any user turn nothing runs on its own.
    EXPECT_EQ(report("SyntaxError: Unexpected token (3:7)"), "limit");

    ASSERT_TRUE(
        model->script({{"replies", {{{"text", "Made it."}}, {{"text", "Fixed, I hope."}}, {{"text", "Fixed now."}}}}}));
    tab->send("message:send", {{"text", "make a title card"}});
    auto [user_turn, user_complete] = next_turn();
    EXPECT_EQ(user_turn["text"], "make a title card");
    EXPECT_FALSE(user_turn.contains("fix"));
    EXPECT_EQ(user_complete["ok"], true);

    for (int fix = 1; fix <= 2; ++fix) {
        EXPECT_EQ(report(workdir + "/src/Intro.tsx: SyntaxError: Unexpected token (3:7)"), "started");
        auto [started, complete] = next_turn();
        EXPECT_EQ(started["fix"], fix);
        EXPECT_EQ(started["max_fixes"], 2);
        EXPECT_EQ(started["auto_fix"], true);
        EXPECT_EQ(complete["auto_fix"], true);
        EXPECT_EQ(complete["ok"], true) << complete.dump();
        const auto prompt = last_prompt();
        EXPECT_NE(prompt.find("[Automatic fix " + std::to_string(fix) + " of 2]"), std::string::npos) << prompt;
        // Paths in the error are the project's own, as the file tools take them.
        EXPECT_NE(prompt.find("src/Intro.tsx: SyntaxError: Unexpected token (3:7)"), std::string::npos) << prompt;
        EXPECT_EQ(prompt.find(workdir), std::string::npos) << prompt;
        EXPECT_NE(prompt.find("Composition: Main"), std::string::npos) << prompt;
    }
    // The third error after the same user turn is only shown.
    EXPECT_EQ(report("SyntaxError: Unexpected token (3:7)"), "limit");
    EXPECT_EQ(model->requests().size(), 3U);
}

TEST_F(AutoFixTest, AnErrorDuringATurnWaitsForItsEndUnlessALaterChangeReloadedThePreview) {
    ready();
    // Turn 1 stalls in its first reply, so the error arrives while it runs; the turn changes
    // nothing afterwards, so the error still stands when it ends and a fix follows.
    ASSERT_TRUE(
        model->script({{"replies",
                        {{{"text", "Working"}, {"stall_ms", 1500}},
                         {{"text", "Fixed."}},
                         {{"text", "Again"},
                          {"stall_ms", 1500},
                          {"tool_calls", {{{"name", "scene__create_object"}, {"arguments", {{"name", "title"}}}}}}},
                         {{"text", "Added the title."}},
                         {{"text", "Hello."}}}}}));
    tab->send("message:send", {{"text", "first"}});
    ASSERT_FALSE(tab->next("agent:message").is_null());
    EXPECT_EQ(report("TypeError: cannot read 'x'"), "queued");
    auto [first, first_complete] = next_turn();
    EXPECT_EQ(first["text"], "first");
    auto [fix, fix_complete] = next_turn();
    EXPECT_EQ(fix["fix"], 1);
    EXPECT_EQ(fix_complete["ok"], true);

    // Turn 2 gets the error while it runs, then changes the project: the preview reloaded after
    // that change, so the error is stale and no fix follows; the next turn is the user's.
    tab->send("message:send", {{"text", "second"}});
    ASSERT_FALSE(tab->next("agent:message").is_null());
    EXPECT_EQ(report("TypeError: cannot read 'y'"), "queued");
    auto [second, second_complete] = next_turn();
    EXPECT_EQ(second["text"], "second");
    EXPECT_EQ(second_complete["ok"], true) << second_complete.dump();
    tab->send("message:send", {{"text", "third"}});
    auto [third, third_complete] = next_turn();
    EXPECT_EQ(third["text"], "third");
    EXPECT_FALSE(third.contains("fix"));
}

} // namespace
} // namespace atelier::testing
