// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): a model server that keeps answering 529, stalls
// mid-stream, sends malformed SSE or closes the stream early (tests/support/fake_model_server.py).
// Each turn ends with ok false and a clear error after the configured retries; the transcript
// holds every user message once, in order; and the next turn works. Both wire formats.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "fault_support.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

class FaultModel : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string error;
        model = FakeModelServer::start(&error);
        ASSERT_NE(model, nullptr) << error;
        const auto file =
            write_fault_config(config_dir.path(), {}, model->base_url() + (openai() ? "/v1" : ""), GetParam());
        // One retry, and a model silent for a second has stalled.
        hub = HubProcess::start({.args = {"--config", file.string(), "--session-grace", "1", "--model-timeout", "1",
                                          "--model-retries", "1"}});
        const auto created = http_request(hub->port(), "POST", "/api/projects", {{"Authorization", hub->bearer()}},
                                          json{{"name", "model faults"}, {"kind", "test"}}.dump());
        ASSERT_EQ(created.status, 201) << created.body;
        project = json::parse(created.body)["id"];
        tab = std::make_unique<Tab>(*hub);
        tab->send("session:start", {{"project_id", project}});
        ASSERT_FALSE(tab->next("session:ready").is_null()) << json(tab->seen).dump() << hub->log();
    }

    [[nodiscard]] bool openai() const { return GetParam() == "openai"; }

    /// message:send, then the turn's agent:complete payload (null on timeout).
    json turn(const std::string& text) {
        sent.push_back(text);
        tab->send("message:send", {{"text", text}});
        auto complete = tab->next("agent:complete", std::chrono::seconds(120));
        EXPECT_FALSE(complete.is_null()) << json(tab->seen).dump(1) << hub->log();
        return complete.is_null() ? json() : complete["payload"];
    }

    /// The failed turn ended clearly, and the conversation goes on.
    void expect_failed_then_recovers(const json& complete) {
        EXPECT_EQ(complete["ok"], false) << complete.dump();
        EXPECT_FALSE(complete["error"]["message"].get<std::string>().empty()) << complete.dump();
        ASSERT_TRUE(model->script({{"replies", {{{"text", "Recovered."}}}}}));
        const auto next = turn("are you there");
        EXPECT_EQ(next["ok"], true) << next.dump();
        // Every user message is in the transcript once, in the order sent.
        const auto page = http_request(hub->port(), "GET", "/api/projects/" + project + "/messages?limit=100",
                                       {{"Authorization", hub->bearer()}});
        ASSERT_EQ(page.status, 200) << page.body;
        std::vector<std::string> users;
        const auto transcript = json::parse(page.body);
        for (const auto& message : transcript["items"]) {
            if (message["role"] == "user") {
                users.push_back(message["content"]);
            }
        }
        EXPECT_EQ(users, sent);
    }

    TempDir config_dir;
    std::unique_ptr<FakeModelServer> model;
    std::unique_ptr<HubProcess> hub;
    std::unique_ptr<Tab> tab;
    std::string project;
    std::vector<std::string> sent;
};

TEST_P(FaultModel, PersistentOverloadEndsTheTurnAfterTheRetries) {
    const json overloaded = {{"status", 529},
                             {"headers", {{"retry-after-ms", "10"}}},
                             {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}};
    ASSERT_TRUE(model->script({{"replies", {overloaded, overloaded, overloaded}}}));
    const auto complete = turn("hello");
    EXPECT_EQ(model->requests().size(), 2U);
    EXPECT_EQ(tab->all("agent:retry").size(), 1U);
    expect_failed_then_recovers(complete);
}

TEST_P(FaultModel, AStreamThatStallsMidwayTimesOut) {
    const json stalls = {{"text", "I am about to"}, {"stall_ms", 60'000}};
    ASSERT_TRUE(model->script({{"replies", {stalls, stalls}}}));
    expect_failed_then_recovers(turn("think hard"));
}

TEST_P(FaultModel, MalformedEventsEndTheTurnWithAClearError) {
    const std::string garbage = openai()
                                    ? "data: {\"choices\": [{\"delta\": {\"content\": 5\n\ndata: {{{\n\n"
                                    : "event: message_start\ndata: {\"type\": \"message_start\", \"message\": 7\n\n"
                                      "event: content_block_delta\ndata: [1, 2\n\n";
    ASSERT_TRUE(model->script({{"replies", {{{"raw_stream", garbage}}, {{"raw_stream", garbage}}}}}));
    expect_failed_then_recovers(turn("say something"));
}

TEST_P(FaultModel, AStreamClosedBeforeItsEndEndsTheTurnWithAClearError) {
    const std::string cut =
        openai()
            ? "data: {\"id\": \"c\", \"object\": \"chat.completion.chunk\", \"choices\": [{\"index\": 0, "
              "\"delta\": {\"content\": \"Half\"}}]}\n\n"
            : "event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": \"m\", \"type\": "
              "\"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"fake\", \"usage\": "
              "{\"input_tokens\": 1, \"output_tokens\": 0}}}\n\nevent: content_block_start\ndata: {\"type\": "
              "\"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n";
    ASSERT_TRUE(
        model->script({{"replies", {{{"raw_stream", cut}, {"close", true}}, {{"raw_stream", cut}, {"close", true}}}}}));
    expect_failed_then_recovers(turn("tell me everything"));
}

INSTANTIATE_TEST_SUITE_P(WireFormats, FaultModel, ::testing::Values("anthropic", "openai"));

} // namespace
} // namespace atelier::testing
