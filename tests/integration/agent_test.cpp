// SPDX-License-Identifier: Apache-2.0
// The agent end to end: the real hub, the C++ test engine and the fake model server
// (tests/support/fake_model_server.py), driven over /ws/browser. Every scenario runs once per
// provider wire format.

#include "atelier/source_dir.h"
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json tool_call(const std::string& name, const json& arguments) {
    return {{"name", name}, {"arguments", arguments}};
}

class AgentTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string error;
        model = FakeModelServer::start(&error);
        ASSERT_NE(model, nullptr) << error;
        fs::create_directories(manifests());
        for (const auto& entry : fs::directory_iterator(fs::path(ATELIER_SOURCE_DIR) / "tests/engine/manifests")) {
            fs::copy_file(entry.path(), manifests() / entry.path().filename());
        }
    }

    fs::path manifests() const { return config_dir.path() / "manifests"; }

    /// `engine_args`: more arguments for the test engine (tests/engine/test_engine.cpp).
    void start_hub(std::vector<std::string> extra = {}, bool with_model = true,
                   const std::vector<std::string>& engine_args = {}) {
        const auto file = config_dir.path() / "atelier.toml";
        std::ofstream out(file);
        out << "[engines.test]\ncommand = [\"" << test_engine_binary() << "\", \"--manifests\", \""
            << manifests().string() << "\"";
        for (const auto& arg : engine_args) {
            out << ", \"" << arg << "\"";
        }
        out << "]\n";
        if (with_model) {
            out << "[model]\nprovider = \"" << GetParam() << "\"\nmodel = \"fake-model\"\nbase_url = \""
                << model->base_url() << (GetParam() == "openai" ? "/v1" : "") << "\"\n";
        }
        out.close();
        std::vector<std::string> args{"--config", file.string(), "--session-grace", "1"};
        args.insert(args.end(), extra.begin(), extra.end());
        hub = HubProcess::start({.args = args});
        ASSERT_NE(hub, nullptr);
    }

    std::map<std::string, std::string> auth() const { return {{"Authorization", hub->bearer()}}; }

    std::string create_project() {
        const auto response =
            http_request(hub->port(), "POST", "/api/projects", auth(), json{{"name", "demo"}, {"kind", "test"}}.dump());
        EXPECT_EQ(response.status, 201) << response.body;
        return json::parse(response.body)["id"];
    }

    json start_session(Tab& on, const std::string& project_id) {
        on.send("session:start", {{"project_id", project_id}});
        auto ready = on.next("session:ready");
        EXPECT_FALSE(ready.is_null()) << json(on.seen).dump() << hub->log();
        return ready.is_null() ? json() : ready["payload"];
    }

    /// A hub with a project and one tab whose session is ready.
    void ready_session(std::vector<std::string> extra = {}) {
        start_hub(std::move(extra));
        project = create_project();
        tab = std::make_unique<Tab>(*hub);
        ASSERT_FALSE(start_session(*tab, project).is_null());
    }

    /// message:send, then the turn's agent:complete payload (null on timeout).
    json turn(const std::string& text) {
        tab->send("message:send", {{"text", text}});
        auto complete = tab->next("agent:complete");
        EXPECT_FALSE(complete.is_null()) << json(tab->seen).dump(1) << hub->log();
        return complete.is_null() ? json() : complete["payload"];
    }

    /// The running turn's agent:complete payload (null on timeout).
    json turn_complete() {
        auto complete = tab->next("agent:complete");
        EXPECT_FALSE(complete.is_null()) << json(tab->seen).dump(1) << hub->log();
        return complete.is_null() ? json() : complete["payload"];
    }

    /// The text of every tool result the model was sent in `request`, in either wire format.
    std::string tool_results_text(const json& request) const {
        std::string text;
        for (const auto& message : request["body"]["messages"]) {
            if (message["role"] == "tool") {
                text += message["content"].get<std::string>() + "\n";
            }
            if (message["content"].is_array()) {
                for (const auto& block : message["content"]) {
                    if (block.value("type", "") == "tool_result") {
                        for (const auto& inner : block["content"]) {
                            text += inner.value("text", "") + "\n";
                        }
                    }
                }
            }
        }
        return text;
    }

    /// The system prompt of `request`, in either wire format.
    std::string system_text(const json& request) const {
        return GetParam() == "anthropic" ? request["body"]["system"][0]["text"].get<std::string>()
                                         : request["body"]["messages"][0]["content"].get<std::string>();
    }

    /// The text of the last message of `request` (where the scene goes), in either wire format.
    std::string last_message_text(const json& request) const {
        const auto& last = request["body"]["messages"].back();
        if (last["content"].is_string()) {
            return last["content"];
        }
        std::string text;
        for (const auto& block : last["content"]) {
            text += block.value("text", "") + "\n";
        }
        return text;
    }

    std::vector<std::string> tool_names(const json& request) const {
        std::vector<std::string> names;
        for (const auto& tool : request["body"]["tools"]) {
            names.push_back(tool.contains("function") ? tool["function"]["name"] : tool["name"]);
        }
        return names;
    }

    TempDir config_dir;
    std::unique_ptr<FakeModelServer> model;
    std::unique_ptr<HubProcess> hub;
    std::unique_ptr<Tab> tab;
    std::string project;
};

TEST_P(AgentTest, AMultiStepTurnStreamsTextRunsToolsAndCommitsAVersion) {
    ready_session();
    ASSERT_TRUE(model->script(
        {{"replies",
          {{{"text", "Adding a cube."}, {"tool_calls", {tool_call("scene__create_object", {{"name", "cube"}})}}},
           {{"text", "Listing."}, {"tool_calls", {tool_call("scene__list_objects", json::object())}}},
           {{"text", "There is one cube now."}}}}}));
    const auto complete = turn("add a cube");
    ASSERT_FALSE(complete.is_null());
    EXPECT_EQ(complete["ok"], true) << complete.dump();
    EXPECT_EQ(complete["steps"], 3);
    EXPECT_EQ(complete["usage"]["input_tokens"], 30);
    EXPECT_EQ(complete["usage"]["output_tokens"], 15);
    ASSERT_TRUE(complete["version"].is_string()) << complete.dump();
    EXPECT_EQ(tab->streamed(), "Adding a cube.Listing.There is one cube now.");
    // The session is busy while the turn runs, and ready again after it.
    bool busy = false;
    bool ready_again = false;
    for (auto status = tab->next("session:status", std::chrono::seconds(10)); !status.is_null() && !ready_again;
         status = tab->next("session:status", std::chrono::seconds(10))) {
        busy = busy || status["payload"]["state"] == "busy";
        ready_again = busy && status["payload"]["state"] == "ready";
    }
    EXPECT_TRUE(busy);
    EXPECT_TRUE(ready_again);

    const auto calls = tab->all("agent:tool_call");
    ASSERT_EQ(calls.size(), 2U);
    EXPECT_EQ(calls[0]["payload"]["tool"], "scene__create_object");
    EXPECT_EQ(calls[0]["payload"]["arguments"], json({{"name", "cube"}}));
    const auto results = tab->all("agent:tool_result");
    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0]["payload"]["ok"], true);
    EXPECT_EQ(results[1]["payload"]["data"]["objects"][0]["name"], "cube");

    const auto version = tab->next("version:created");
    ASSERT_FALSE(version.is_null());
    EXPECT_EQ(version["payload"]["message"], "add a cube");
    EXPECT_EQ(version["payload"]["rev"], complete["version"]);

    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 3U);
    const auto system = system_text(requests[0]);
    EXPECT_NE(system.find("\"demo\""), std::string::npos) << system;
    EXPECT_NE(system.find("A test engine: objects live in memory."), std::string::npos);
    EXPECT_NE(system.find("Create, list and delete named objects."), std::string::npos);
    // The system prompt does not change within a turn (prompt caching); the scene summary from
    // scene/changed comes last, in the step after the change.
    EXPECT_EQ(system_text(requests[1]), system);
    EXPECT_EQ(system.find("\"cube\""), std::string::npos) << system;
    const auto later = last_message_text(requests[1]);
    EXPECT_NE(later.find("# The scene now"), std::string::npos) << later;
    EXPECT_NE(later.find("\"cube\""), std::string::npos) << later;
    EXPECT_NE(tool_results_text(requests[2]).find("cube"), std::string::npos);

    // Both sides of the conversation are project messages, with the tool actions.
    const auto messages =
        json::parse(http_request(hub->port(), "GET", "/api/projects/" + project + "/messages", auth()).body)["items"];
    ASSERT_EQ(messages.size(), 2U) << messages.dump();
    EXPECT_EQ(messages[0]["role"], "user");
    EXPECT_EQ(messages[0]["content"], "add a cube");
    EXPECT_EQ(messages[1]["role"], "assistant");
    EXPECT_NE(messages[1]["content"].get<std::string>().find("There is one cube now."), std::string::npos);
}

// Without the breakpoint markers, which move to the newest block at every step.
json without_cache_control(json value) {
    if (value.is_object()) {
        value.erase("cache_control");
        for (auto& [key, inner] : value.items()) {
            inner = without_cache_control(inner);
        }
    } else if (value.is_array()) {
        for (auto& inner : value) {
            inner = without_cache_control(inner);
        }
    }
    return value;
}

TEST_P(AgentTest, EachStepRepeatsThePreviousRequestUpToItsScene) {
    ready_session();
    ASSERT_TRUE(model->script(
        {{"replies",
          {{{"text", "Adding a cube."}, {"tool_calls", {tool_call("scene__create_object", {{"name", "cube"}})}}},
           {{"tool_calls", {tool_call("scene__create_object", {{"name", "ball"}})}}},
           {{"text", "Two objects."}}}}}));
    ASSERT_EQ(turn("add a cube and a ball")["ok"], true);
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 3U);
    for (std::size_t step = 1; step < requests.size(); ++step) {
        const auto before = without_cache_control(requests[step - 1]["body"]);
        const auto after = without_cache_control(requests[step]["body"]);
        EXPECT_EQ(after["tools"], before["tools"]);
        EXPECT_EQ(after.value("system", json()), before.value("system", json()));
        const auto& old_messages = before["messages"];
        const auto& new_messages = after["messages"];
        ASSERT_GT(new_messages.size(), old_messages.size());
        // Every message but the last comes back unchanged; the last one comes back without the
        // scene that ended it.
        for (std::size_t i = 0; i + 1 < old_messages.size(); ++i) {
            EXPECT_EQ(new_messages[i], old_messages[i]) << "step " << step << ", message " << i;
        }
        const auto& old_last = old_messages.back();
        const auto& new_same = new_messages[old_messages.size() - 1];
        if (GetParam() == "anthropic") {
            // The scene is the last block of the last user message.
            auto repeated = old_last["content"];
            ASSERT_TRUE(repeated.back()["text"].get<std::string>().starts_with("# The scene now")) << old_last;
            repeated.erase(repeated.size() - 1);
            EXPECT_EQ(new_same["content"], repeated) << "step " << step;
        } else if (old_last["content"].get<std::string>().starts_with("# The scene now")) {
            // After tool results the scene is a user message of its own, and is not repeated.
            EXPECT_EQ(new_same["role"], "assistant") << new_same;
        } else {
            // After the user's words it ends their message.
            EXPECT_EQ(old_last["content"].get<std::string>().rfind(
                          new_same["content"].get<std::string>() + "\n# The scene now", 0),
                      0U)
                << old_last << "\n"
                << new_same;
        }
    }
}

TEST_P(AgentTest, CachedInputTokensAreCountedPerTurnInCompleteTheTranscriptAndMetrics) {
    ready_session();
    ASSERT_TRUE(model->script(
        {{"replies",
          {{{"tool_calls", {tool_call("scene__create_object", {{"name", "cube"}})}},
            {"usage", {{"input_tokens", 3000}, {"cache_write_input_tokens", 2500}, {"output_tokens", 20}}}},
           {{"text", "Done."},
            {"usage", {{"input_tokens", 3200}, {"cached_input_tokens", 2900}, {"output_tokens", 10}}}}}}}));
    const auto complete = turn("add a cube");
    ASSERT_EQ(complete["ok"], true) << complete.dump();
    EXPECT_EQ(complete["usage"]["input_tokens"], 6200);
    EXPECT_EQ(complete["usage"]["cached_input_tokens"], 2900);
    EXPECT_EQ(complete["usage"]["output_tokens"], 30);
    // Anthropic says what it wrote to the cache; OpenAI does not.
    EXPECT_EQ(complete["usage"]["cache_write_input_tokens"], GetParam() == "anthropic" ? 2500 : 0);

    // The next turn's request carries the stored transcript; the usage is stored with it but
    // never sent to the provider.
    ASSERT_TRUE(model->script({{"replies", {{{"text", "Still one cube."}}}}}));
    EXPECT_EQ(turn("and now?")["ok"], true);
    EXPECT_EQ(model->requests()[0]["body"]["messages"].dump().find("cached_input_tokens"), std::string::npos);

    const auto metrics = http_request(hub->port(), "GET", "/metrics", auth());
    ASSERT_EQ(metrics.status, 200) << metrics.body;
    const auto series = [&](const std::string& labels) {
        const auto name = "atelier_agent_input_tokens_total{provider=\"" + GetParam() + "\"" + labels + "} ";
        const auto at = metrics.body.find(name);
        return at == std::string::npos
                   ? std::string("missing")
                   : metrics.body.substr(at + name.size(), metrics.body.find('\n', at) - at - name.size());
    };
    // Fake usage of the second turn: 10 input tokens, none cached.
    EXPECT_EQ(series(",cache=\"read\""), "2900") << metrics.body;
    EXPECT_EQ(series(",cache=\"write\""), GetParam() == "anthropic" ? "2500" : "0") << metrics.body;
    EXPECT_EQ(series(",cache=\"uncached\""), GetParam() == "anthropic" ? "810" : "3310") << metrics.body;
    EXPECT_NE(metrics.body.find("atelier_agent_turns_total{provider=\"" + GetParam() + "\"} 2"), std::string::npos)
        << metrics.body;
}

TEST_P(AgentTest, InvalidArgumentsAreRefusedInTheHubAndTheCorrectedCallRuns) {
    ready_session();
    ASSERT_TRUE(
        model->script({{"replies",
                        {{{"tool_calls", {tool_call("scene__create_object", {{"name", 5}, {"shape", "blob"}})}}},
                         {{"tool_calls", {tool_call("scene__create_object", {{"name", "cube"}})}}},
                         {{"text", "Done."}}}}}));
    const auto complete = turn("add a cube");
    EXPECT_EQ(complete["ok"], true) << complete.dump();
    const auto retries = tab->all("agent:retry");
    ASSERT_EQ(retries.size(), 1U);
    EXPECT_EQ(retries[0]["payload"]["tool"], "scene__create_object");
    EXPECT_EQ(retries[0]["payload"]["errors"].size(), 2U) << retries[0].dump(); // both problems at once
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 3U);
    const auto refusal = tool_results_text(requests[1]);
    EXPECT_NE(refusal.find("/name"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find("/shape"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find("Fix the arguments and try again"), std::string::npos) << refusal;
    EXPECT_TRUE(complete["version"].is_string());
}

TEST_P(AgentTest, AToolThatKeepsFailingEndsTheTurnWithAClearError) {
    ready_session();
    const json bad = {{"tool_calls", {tool_call("basics__add", {{"a", "one"}})}}};
    ASSERT_TRUE(model->script({{"replies", {bad, bad, bad, {{"text", "never asked"}}}}}));
    const auto complete = turn("add things");
    EXPECT_EQ(complete["ok"], false);
    EXPECT_NE(complete["error"]["message"].get<std::string>().find("retry budget"), std::string::npos)
        << complete.dump();
    EXPECT_EQ(model->requests().size(), 3U);
    const auto error = tab->next("error");
    ASSERT_FALSE(error.is_null());
    EXPECT_NE(error["payload"]["message"].get<std::string>().find("basics__add"), std::string::npos);
}

TEST_P(AgentTest, OverloadAndRateLimitsAreRetriedButAnUnauthorizedKeyIsNot) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies",
                                {{{"status", 429}, {"headers", {{"retry-after", "0"}}}},
                                 {{"status", 529}, {"headers", {{"retry-after-ms", "10"}}}},
                                 {{"text", "Hello."}}}}}));
    auto complete = turn("hi");
    EXPECT_EQ(complete["ok"], true) << complete.dump();
    const auto retries = tab->all("agent:retry");
    ASSERT_EQ(retries.size(), 2U);
    EXPECT_EQ(retries[0]["payload"]["status"], 429);
    EXPECT_EQ(retries[1]["payload"]["status"], 529);
    EXPECT_EQ(retries[1]["payload"]["delay_ms"], 10);

    ASSERT_TRUE(model->script(
        {{"replies",
          {{{"status", 401}, {"error", {{"type", "authentication_error"}, {"message", "invalid x-api-key"}}}},
           {{"text", "never"}}}}}));
    complete = turn("again");
    EXPECT_EQ(complete["ok"], false);
    EXPECT_NE(complete["error"]["message"].get<std::string>().find("invalid x-api-key"), std::string::npos)
        << complete.dump();
    EXPECT_EQ(model->requests().size(), 1U);
}

TEST_P(AgentTest, AnErrorEventMidStreamIsRetried) {
    ready_session();
    ASSERT_TRUE(model->script(
        {{"replies",
          {{{"text", "Half a sen"}, {"error_event", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}},
           {{"text", "A whole sentence."}}}}}));
    const auto complete = turn("talk");
    EXPECT_EQ(complete["ok"], true) << complete.dump();
    EXPECT_EQ(tab->all("agent:retry").size(), 1U);
    EXPECT_NE(tab->streamed().find("A whole sentence."), std::string::npos);
}

TEST_P(AgentTest, MalformedToolJsonAndUnknownToolsGoBackToTheModel) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies",
                                {{{"tool_calls", {{{"name", "basics__echo"}, {"raw_arguments", "{\"text\": \"hi"}}}}},
                                 {{"tool_calls", {tool_call("scene__explode", json::object())}}},
                                 {{"tool_calls", {tool_call("basics__echo", {{"text", "hi"}})}}},
                                 {{"text", "Echoed."}}}}}));
    const auto complete = turn("echo hi");
    EXPECT_EQ(complete["ok"], true) << complete.dump();
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 4U);
    EXPECT_NE(tool_results_text(requests[1]).find("not valid JSON"), std::string::npos)
        << tool_results_text(requests[1]);
    const auto unknown = tool_results_text(requests[2]);
    EXPECT_NE(unknown.find("no tool named 'scene__explode'"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("scene__create_object"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("basics__echo"), std::string::npos) << unknown;
}

TEST_P(AgentTest, CancelMidStreamStopsTheTurnAndTheConversationGoesOn) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies",
                                {{{"text", "I will think about this for a long while"}, {"stall_ms", 120'000}},
                                 {{"text", "Hello again."}}}}}));
    tab->send("message:send", {{"text", "think"}});
    ASSERT_FALSE(tab->next("agent:message").is_null());
    tab->send("agent:cancel", json::object());
    const auto complete = tab->next("agent:complete");
    ASSERT_FALSE(complete.is_null());
    EXPECT_EQ(complete["payload"]["cancelled"], true) << complete.dump();
    // Only the text before the stall was streamed: the stream was closed, not waited out.
    EXPECT_EQ(tab->streamed(), "I wi");

    const auto next = turn("hello");
    EXPECT_EQ(next["ok"], true) << next.dump();
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 2U);
    // The transcript stayed consistent: roles alternate and the cancelled turn is recorded.
    std::string previous;
    const auto& messages = requests[1]["body"]["messages"];
    for (const auto& message : messages) {
        if (message["role"] == "system") {
            continue;
        }
        EXPECT_NE(message["role"], previous) << messages.dump(1);
        previous = message["role"];
    }
    EXPECT_NE(messages.dump().find("cancelled"), std::string::npos) << messages.dump(1);
}

TEST_P(AgentTest, CancelDuringAToolCallCancelsTheEngineCall) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies", {{{"tool_calls", {tool_call("basics__sleep", {{"ms", 120'000}})}}}}}}));
    tab->send("message:send", {{"text", "wait a long time"}});
    ASSERT_FALSE(tab->next("agent:tool_call").is_null());
    tab->send("agent:cancel", json::object());
    const auto complete = tab->next("agent:complete");
    ASSERT_FALSE(complete.is_null());
    EXPECT_EQ(complete["payload"]["cancelled"], true) << complete.dump();
    const auto result = tab->next("agent:tool_result");
    ASSERT_FALSE(result.is_null());
    EXPECT_EQ(result["payload"]["error"]["code"], "cancelled") << result.dump();
    EXPECT_EQ(model->requests().size(), 1U);
}

TEST_P(AgentTest, TheNextStepIsToldWhatAnotherClientChangedMidTurn) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies",
                                {{{"tool_calls", {tool_call("basics__sleep", {{"ms", 6000}})}}},
                                 {{"text", "I see the other tab added a box."}}}}}));
    tab->send("message:send", {{"text", "wait a little"}});
    ASSERT_FALSE(tab->next("agent:tool_call").is_null()) << hub->log();
    // While the agent's tool runs, a second tab of the same session adds an object.
    Tab other(*hub);
    ASSERT_FALSE(start_session(other, project).is_null());
    other.send("command:send", {{"tool", "scene__create_object"}, {"arguments", {{"name", "box"}}}});
    const auto result = other.next("command:result");
    ASSERT_FALSE(result.is_null()) << hub->log();
    ASSERT_TRUE(result["payload"].contains("version")) << result.dump();
    ASSERT_TRUE(tab->all("agent:complete").empty()) << "the turn ended before the other tab's change: retry";
    ASSERT_EQ(turn_complete()["ok"], true);
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 2U);
    EXPECT_EQ(last_message_text(requests[0]).find("other clients"), std::string::npos);
    const std::string context = last_message_text(requests[1]);
    EXPECT_NE(context.find("Meanwhile, other clients of this project changed it"), std::string::npos) << context;
    EXPECT_NE(context.find("ran create_object name=box"), std::string::npos) << context;
    const auto scene = context.find("# The scene now");
    ASSERT_NE(scene, std::string::npos) << context;
    EXPECT_NE(context.find("box", scene), std::string::npos) << "the scene shows the box too: " << context;
}

TEST_P(AgentTest, AMessageSentRightAfterReadyWaitsForTheEnginesFirstScene) {
    // The engine reports its scene 1.5 s after it connected; the message goes at once.
    start_hub({}, true, {"--scene-delay-ms", "1500"});
    project = create_project();
    tab = std::make_unique<Tab>(*hub);
    ASSERT_FALSE(start_session(*tab, project).is_null());
    ASSERT_TRUE(model->script({{"replies", {{{"text", "An empty scene."}}}}}));
    ASSERT_EQ(turn("what is in the scene?")["ok"], true);
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 1U);
    const std::string context = last_message_text(requests[0]);
    EXPECT_EQ(context.find("no scene reported yet"), std::string::npos) << context;
    EXPECT_NE(context.find("# The scene now"), std::string::npos) << context;
}

TEST_P(AgentTest, ATurnStopsAtTheStepLimit) {
    ready_session({"--agent-max-steps", "2"});
    const json echo = {{"tool_calls", {tool_call("basics__echo", {{"text", "again"}})}}};
    ASSERT_TRUE(model->script({{"replies", {echo, echo, echo}}}));
    const auto complete = turn("loop");
    EXPECT_EQ(complete["ok"], false);
    EXPECT_EQ(complete["steps"], 2);
    EXPECT_NE(complete["error"]["message"].get<std::string>().find("2 steps"), std::string::npos) << complete.dump();
    EXPECT_EQ(model->requests().size(), 2U);
}

TEST_P(AgentTest, AnImageFromAToolReachesTheNextModelRequest) {
    ready_session();
    ASSERT_TRUE(model->script(
        {{"replies",
          {{{"tool_calls", {tool_call("basics__image", {{"color", "#00ff00"}})}}}, {{"text", "It is green."}}}}}));
    const auto complete = turn("show me");
    EXPECT_EQ(complete["ok"], true) << complete.dump();
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 2U);
    std::string image;
    for (const auto& message : requests[1]["body"]["messages"]) {
        if (!message["content"].is_array()) {
            continue;
        }
        for (const auto& block : message["content"]) {
            if (block.value("type", "") == "tool_result") {
                for (const auto& inner : block["content"]) {
                    if (inner["type"] == "image") {
                        EXPECT_EQ(inner["source"]["media_type"], "image/png");
                        image = inner["source"]["data"];
                    }
                }
            }
            if (block.value("type", "") == "image_url") {
                image = block["image_url"]["url"].get<std::string>();
                EXPECT_EQ(image.rfind("data:image/png;base64,", 0), 0U);
                image = image.substr(std::string("data:image/png;base64,").size());
            }
        }
    }
    // A PNG in base64 starts with "iVBOR".
    EXPECT_EQ(image.rfind("iVBOR", 0), 0U) << requests[1]["body"]["messages"].dump(1).substr(0, 2000);
}

TEST_P(AgentTest, AToolAddedMidSessionIsOfferedInTheNextRequest) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies", {{{"text", "one"}}, {{"text", "two"}}}}}));
    EXPECT_EQ(turn("first")["ok"], true);
    auto names = tool_names(model->requests()[0]);
    EXPECT_EQ(std::count(names.begin(), names.end(), "extra__wave"), 0);

    std::ofstream(manifests() / "extra.json") << R"({"addon_info": {"id": "extra", "name": "Extra", "version": "1.0.0"},
        "ai_integration": {"agent_description": "Waves.", "tools": [{"name": "wave", "description": "Wave a hand",
        "mutates": false, "parameters": []}]}})";
    const auto sessions = json::parse(http_request(hub->port(), "GET", "/api/sessions", auth()).body)["items"];
    ASSERT_EQ(sessions.size(), 1U);
    ASSERT_EQ(::kill(sessions[0]["engine_pid"].get<pid_t>(), SIGHUP), 0);
    ASSERT_FALSE(tab->next("registry:updated").is_null());

    EXPECT_EQ(turn("second")["ok"], true);
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 2U);
    names = tool_names(requests[1]);
    EXPECT_EQ(std::count(names.begin(), names.end(), "extra__wave"), 1) << requests[1]["body"]["tools"].dump();
    EXPECT_NE(system_text(requests[1]).find("Waves."), std::string::npos);
}

TEST_P(AgentTest, ASecondSessionOfTheProjectResumesTheConversation) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies", {{{"text", "I will remember 42."}}}}}));
    EXPECT_EQ(turn("remember the number 42")["ok"], true);
    tab->send("session:end", json::object());
    for (auto status = tab->next("session:status"); !status.is_null(); status = tab->next("session:status")) {
        if (status["payload"]["state"] == "ended") {
            break;
        }
    }

    tab = std::make_unique<Tab>(*hub);
    ASSERT_FALSE(start_session(*tab, project).is_null());
    ASSERT_TRUE(model->script({{"replies", {{{"text", "It was 42."}}}}}));
    EXPECT_EQ(turn("which number?")["ok"], true);
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 1U);
    const auto sent = requests[0]["body"]["messages"].dump();
    EXPECT_NE(sent.find("remember the number 42"), std::string::npos) << sent;
    EXPECT_NE(sent.find("I will remember 42."), std::string::npos) << sent;
}

TEST_P(AgentTest, TurnsFromSeveralMessagesRunInOrder) {
    ready_session();
    ASSERT_TRUE(model->script({{"replies",
                                {{{"tool_calls", {tool_call("basics__sleep", {{"ms", 200}})}}},
                                 {{"text", "first done"}},
                                 {{"text", "second done"}}}}}));
    tab->send("message:send", {{"text", "first"}});
    tab->send("message:send", {{"text", "second"}});
    const auto one = tab->next("agent:complete");
    const auto two = tab->next("agent:complete");
    ASSERT_FALSE(one.is_null());
    ASSERT_FALSE(two.is_null());
    EXPECT_EQ(one["payload"]["ok"], true);
    EXPECT_EQ(two["payload"]["ok"], true);
    const auto first_ack = tab->next("ack");
    const auto second_ack = tab->next("ack");
    ASSERT_FALSE(first_ack.is_null());
    ASSERT_FALSE(second_ack.is_null());
    EXPECT_EQ(first_ack["payload"]["queued"], 0);
    EXPECT_EQ(second_ack["payload"]["queued"], 1); // behind the running one
    EXPECT_EQ(one["payload"]["turn_id"], first_ack["payload"]["turn_id"]);
    EXPECT_EQ(two["payload"]["turn_id"], second_ack["payload"]["turn_id"]);
    EXPECT_EQ(tab->streamed(), "first donesecond done");
    const auto requests = model->requests();
    ASSERT_EQ(requests.size(), 3U);
    EXPECT_NE(requests[2]["body"]["messages"].dump().find("second"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothProviders, AgentTest, ::testing::Values("anthropic", "openai"),
                         [](const auto& param_info) { return param_info.param; });

class AgentWithoutModelTest : public AgentTest {};

TEST_P(AgentWithoutModelTest, MessageSendExplainsHowToConfigureAModel) {
    start_hub({}, false);
    project = create_project();
    tab = std::make_unique<Tab>(*hub);
    ASSERT_FALSE(start_session(*tab, project).is_null());
    tab->send("message:send", {{"text", "hello"}});
    const auto error = tab->next("error");
    ASSERT_FALSE(error.is_null());
    const auto message = error["payload"]["message"].get<std::string>();
    for (const auto* expected :
         {"no model is configured", "[model]", "ATELIER_MODEL_PROVIDER", "api_key_env", "llama-server", "Ollama"}) {
        EXPECT_NE(message.find(expected), std::string::npos) << expected << ": " << message;
    }
    // Everything else still works: a direct command.
    tab->send("command:send", {{"tool", "basics__echo"}, {"arguments", {{"text", "still here"}}}});
    const auto result = tab->next("command:result");
    ASSERT_FALSE(result.is_null());
    EXPECT_EQ(result["payload"]["ok"], true);
}

INSTANTIATE_TEST_SUITE_P(NoModel, AgentWithoutModelTest, ::testing::Values("none"),
                         [](const auto& param_info) { return param_info.param; });

} // namespace
} // namespace atelier::testing
