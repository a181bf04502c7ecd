// SPDX-License-Identifier: Apache-2.0
#include "atelier/source_dir.h"
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clients.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

using nlohmann::json;

class EngineTest : public ::testing::Test {
protected:
    void start_hub(std::vector<std::string> args = {}) { hub = HubProcess::start({.args = std::move(args)}); }

    std::map<std::string, std::string> auth() const { return {{"Authorization", hub->bearer()}}; }

    std::string launch_token(const std::string& kind = "test") {
        const auto response =
            http_request(hub->port(), "POST", "/api/engines/launch-tokens", auth(), json{{"kind", kind}}.dump());
        EXPECT_EQ(response.status, 201) << response.body;
        return json::parse(response.body)["token"];
    }

    json engines() {
        const auto response = http_request(hub->port(), "GET", "/api/engines", auth());
        return json::parse(response.body)["items"];
    }

    /// Starts a test engine and waits until the hub lists it with its tools; returns its id.
    std::string connect_engine(const std::vector<std::string>& args = {}) {
        const auto before = engines().size();
        engine_processes.push_back(EngineProcess::start(*hub, launch_token(), args));
        for (int i = 0; i < 1000; ++i) {
            const auto list = engines();
            if (list.size() > before) {
                for (const auto& engine : list) {
                    if (engine["registry_version"].get<int>() > 0 && !known.contains(engine["id"])) {
                        known.insert(engine["id"].get<std::string>());
                        return engine["id"];
                    }
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ADD_FAILURE() << "engine did not connect: " << engine_processes.back()->output() << hub->log();
        return {};
    }

    HttpResult call(const std::string& engine, const std::string& tool, const json& arguments,
                    const std::string& call_id = {}) {
        json body{{"tool", tool}, {"arguments", arguments}};
        if (!call_id.empty()) {
            body["call_id"] = call_id;
        }
        return http_request(hub->port(), "POST", "/api/engines/" + engine + "/call", auth(), body.dump());
    }

    /// A raw WebSocket on /ws/engine that has completed engine/hello.
    std::unique_ptr<WsClient> raw_engine() {
        auto connection = WsClient::connect(hub->port(), "/ws/engine");
        EXPECT_NE(connection.client, nullptr);
        connection.client->send_text(json{{"jsonrpc", "2.0"},
                                          {"id", 1},
                                          {"method", "engine/hello"},
                                          {"params", {{"token", launch_token()}, {"kind", "test"}, {"protocol", 1}}}}
                                         .dump());
        auto reply = connection.client->read();
        EXPECT_TRUE(reply);
        EXPECT_TRUE(json::parse(reply->data).contains("result")) << reply->data;
        return std::move(connection.client);
    }

    std::unique_ptr<HubProcess> hub;
    std::vector<std::unique_ptr<EngineProcess>> engine_processes;
    std::set<std::string> known;
};

TEST_F(EngineTest, EngineWithLaunchTokenIsListedWithItsTools) {
    start_hub();
    const auto id = connect_engine();
    const auto list = engines();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["kind"], "test");
    EXPECT_EQ(list[0]["version"], "1.0.0");
    EXPECT_EQ(list[0]["protocol"], 1);
    EXPECT_EQ(list[0]["tools"], 10);
    EXPECT_TRUE(list[0]["manifest_errors"].empty());
    const auto tools = http_request(hub->port(), "GET", "/api/engines/" + id + "/tools", auth());
    ASSERT_EQ(tools.status, 200);
    const auto items = json::parse(tools.body)["items"];
    bool found = false;
    for (const auto& tool : items) {
        if (tool["name"] == "scene__create_object") {
            found = true;
            EXPECT_EQ(tool["input_schema"]["properties"]["shape"]["enum"], json({"cube", "sphere", "cone"}));
            EXPECT_EQ(tool["input_schema"]["required"], json({"name"}));
            EXPECT_EQ(tool["addon"], "scene");
        }
    }
    EXPECT_TRUE(found) << tools.body;
}

TEST_F(EngineTest, ReusedLaunchTokenIsRefused) {
    start_hub();
    const auto token = launch_token();
    auto first = EngineProcess::start(*hub, token);
    for (int i = 0; i < 500 && engines().empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(engines().size(), 1U);
    auto second = EngineProcess::start(*hub, token);
    EXPECT_EQ(second->wait(std::chrono::seconds(20)), 3);
    EXPECT_NE(second->output().find("already used"), std::string::npos) << second->output();
    EXPECT_EQ(engines().size(), 1U);
}

TEST_F(EngineTest, WrongOrMissingTokenIsRefused) {
    start_hub();
    auto wrong = EngineProcess::start(*hub, "launch-not-a-token");
    EXPECT_EQ(wrong->wait(std::chrono::seconds(20)), 3);
    auto missing = EngineProcess::start(*hub, "");
    EXPECT_EQ(missing->wait(std::chrono::seconds(20)), 3);
    EXPECT_TRUE(engines().empty());
}

TEST_F(EngineTest, UnsupportedProtocolVersionGetsAClearError) {
    start_hub();
    auto engine = EngineProcess::start(*hub, launch_token(), {"--protocol", "2"});
    EXPECT_EQ(engine->wait(std::chrono::seconds(20)), 3);
    EXPECT_NE(engine->output().find("unsupported engine protocol version 2; this hub speaks version 1"),
              std::string::npos)
        << engine->output();
}

TEST_F(EngineTest, LaunchTokenForAnotherKindIsRefused) {
    start_hub();
    auto engine = EngineProcess::start(*hub, launch_token("blender"));
    EXPECT_EQ(engine->wait(std::chrono::seconds(20)), 3);
    EXPECT_NE(engine->output().find("for a 'blender' engine"), std::string::npos) << engine->output();
}

TEST_F(EngineTest, MessagesBeforeHelloCloseTheConnection) {
    start_hub();
    auto connection = WsClient::connect(hub->port(), "/ws/engine");
    ASSERT_NE(connection.client, nullptr);
    connection.client->send_text(R"({"jsonrpc":"2.0","method":"tools/update","params":{"addons":[]}})");
    auto reply = connection.client->read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(json::parse(reply->data)["error"]["code"], -32008);
    EXPECT_FALSE(connection.client->read());
    EXPECT_EQ(connection.client->close_code(), 1008);
}

TEST_F(EngineTest, SilentConnectionIsClosedAfterTheHelloTimeout) {
    start_hub({"--engine-hello-timeout", "0.3"});
    auto connection = WsClient::connect(hub->port(), "/ws/engine");
    ASSERT_NE(connection.client, nullptr);
    EXPECT_FALSE(connection.client->read());
    EXPECT_EQ(connection.client->close_code(), 1008);
    EXPECT_NE(connection.client->close_reason().find("engine/hello"), std::string::npos);
}

// Protocol cases (tests/integration/cases/engine_protocol.json): each frame gets the JSON-RPC
// error it deserves and the connection stays up.
TEST_F(EngineTest, MalformedFramesGetJsonRpcErrorsAndTheConnectionSurvives) {
    start_hub();
    auto engine = raw_engine();
    std::ifstream file(std::string(ATELIER_SOURCE_DIR) + "/tests/integration/cases/engine_protocol.json");
    const auto cases = json::parse(file);
    ASSERT_FALSE(cases.empty());
    for (const auto& test_case : cases) {
        SCOPED_TRACE(test_case["name"].get<std::string>());
        ASSERT_TRUE(engine->send_text(test_case["send"]));
        auto reply = engine->read();
        ASSERT_TRUE(reply) << "connection dropped";
        const auto message = json::parse(reply->data);
        EXPECT_EQ(message["error"]["code"], test_case["expect_error"]) << reply->data;
        EXPECT_FALSE(message["error"]["message"].get<std::string>().empty());
        if (test_case.contains("expect_id")) {
            EXPECT_EQ(message["id"], test_case["expect_id"]) << reply->data;
        }
    }
    EXPECT_EQ(engines().size(), 1U);
}

TEST_F(EngineTest, AnEngineThatKeepsSendingGarbageIsDisconnected) {
    start_hub();
    auto engine = raw_engine();
    for (int i = 0; i < 30 && !engine->closed(); ++i) {
        engine->send_text("garbage");
        (void)engine->read(std::chrono::seconds(5));
    }
    EXPECT_TRUE(engine->closed());
    EXPECT_EQ(engine->close_code(), 1008);
}

TEST_F(EngineTest, OversizedEngineMessageClosesWith1009) {
    start_hub({"--max-ws-text-bytes", "4096"});
    auto engine = raw_engine();
    engine->send_text(std::string(10000, ' '));
    EXPECT_FALSE(engine->read());
    EXPECT_EQ(engine->close_code(), 1009);
}

TEST_F(EngineTest, CallReturnsTheEngineResult) {
    start_hub();
    const auto id = connect_engine();
    const auto response = call(id, "basics__echo", {{"text", "hello"}});
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = json::parse(response.body);
    EXPECT_EQ(body["content"][0]["text"], "hello");
    EXPECT_EQ(body["data"]["text"], "hello");
    EXPECT_EQ(body["mutates"], false);
}

TEST_F(EngineTest, InvalidArgumentsAreRefusedInTheHubWithEveryError) {
    start_hub();
    const auto id = connect_engine();
    const auto response = call(id, "scene__create_object", {{"shape", "pyramid"}, {"location", {1, 2}}, {"colour", 1}});
    ASSERT_EQ(response.status, 400) << response.body;
    const auto error = json::parse(response.body)["error"];
    std::set<std::string> pointers;
    for (const auto& detail : error["details"]) {
        pointers.insert(detail["pointer"]);
    }
    EXPECT_TRUE(pointers.contains("/name")) << response.body;
    EXPECT_TRUE(pointers.contains("/shape")) << response.body;
    EXPECT_TRUE(pointers.contains("/location")) << response.body;
    EXPECT_TRUE(pointers.contains("/colour")) << response.body;
    EXPECT_NE(error["message"].get<std::string>().find("fix the arguments"), std::string::npos);
    // Nothing reached the engine: the scene is still empty.
    const auto list = call(id, "scene__list_objects", json::object());
    EXPECT_TRUE(json::parse(list.body)["data"]["objects"].empty()) << list.body;
}

TEST_F(EngineTest, UnknownToolListsTheValidNames) {
    start_hub();
    const auto id = connect_engine();
    const auto response = call(id, "scene__teleport", json::object());
    ASSERT_EQ(response.status, 404);
    const auto error = json::parse(response.body)["error"];
    EXPECT_NE(error["message"].get<std::string>().find("scene__create_object"), std::string::npos);
    EXPECT_EQ(error["details"].size(), 10U);
}

TEST_F(EngineTest, EngineErrorsPassTheirMessageAndTraceback) {
    start_hub();
    const auto id = connect_engine();
    const auto response = call(id, "basics__fail", {{"message", "the kettle is cold"}});
    ASSERT_EQ(response.status, 502);
    const auto error = json::parse(response.body)["error"];
    EXPECT_EQ(error["code"], "engine_error");
    EXPECT_EQ(error["message"], "the kettle is cold");
    EXPECT_NE(error["details"]["traceback"].get<std::string>().find("Traceback"), std::string::npos);
    const auto missing = call(id, "scene__delete_object", {{"name", "Nope"}});
    EXPECT_NE(json::parse(missing.body)["error"]["message"].get<std::string>().find("'Nope'"), std::string::npos);
}

TEST_F(EngineTest, ImagesComeBackAsBase64ContentWithTheirType) {
    start_hub();
    const auto id = connect_engine();
    const auto response = call(id, "basics__image", {{"width", 4}, {"height", 2}});
    ASSERT_EQ(response.status, 200) << response.body;
    const auto content = json::parse(response.body)["content"][0];
    EXPECT_EQ(content["type"], "image");
    EXPECT_EQ(content["mimeType"], "image/png");
    EXPECT_EQ(content["data"].get<std::string>().rfind("iVBORw0KGgo", 0), 0U); // "\x89PNG\r\n\x1a\n"
}

TEST_F(EngineTest, CallsTimeOutWithTheDefaultTimeout) {
    start_hub({"--engine-call-timeout", "0.3"});
    const auto id = connect_engine();
    const auto response = call(id, "basics__sleep", {{"ms", 20000}});
    ASSERT_EQ(response.status, 504) << response.body;
    EXPECT_EQ(json::parse(response.body)["error"]["code"], "timeout");
    EXPECT_EQ(call(id, "basics__echo", {{"text", "after"}}).status, 200);
}

TEST_F(EngineTest, ManifestTimeoutOverridesTheDefault) {
    start_hub({"--engine-call-timeout", "60"});
    const auto id = connect_engine();
    const auto response = call(id, "basics__nap", {{"ms", 20000}});
    ASSERT_EQ(response.status, 504) << response.body;
    EXPECT_NE(json::parse(response.body)["error"]["message"].get<std::string>().find("0.3 s"), std::string::npos);
}

TEST_F(EngineTest, CancelEndsACallAtOnce) {
    start_hub();
    const auto id = connect_engine();
    HttpResult slow;
    std::thread caller([&] { slow = call(id, "basics__sleep", {{"ms", 60000}}, "call-to-cancel"); });
    HttpResult cancelled;
    for (int i = 0; i < 500; ++i) {
        cancelled = http_request(hub->port(), "DELETE", "/api/engines/" + id + "/calls/call-to-cancel", auth());
        if (cancelled.status == 200) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    caller.join();
    EXPECT_EQ(cancelled.status, 200) << cancelled.body;
    EXPECT_EQ(slow.status, 409) << slow.body;
    EXPECT_EQ(json::parse(slow.body)["error"]["code"], "cancelled");
    EXPECT_EQ(http_request(hub->port(), "DELETE", "/api/engines/" + id + "/calls/call-to-cancel", auth()).status, 404);
    EXPECT_EQ(call(id, "basics__echo", {{"text", "after"}}).status, 200);
}

TEST_F(EngineTest, EngineCrashMidCallFailsTheCallerAndTheHubKeepsServing) {
    start_hub();
    const auto crashing = connect_engine();
    const auto survivor = connect_engine();
    HttpResult slow;
    std::thread caller([&] { slow = call(crashing, "basics__sleep", {{"ms", 60000}}); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto crash = call(crashing, "basics__crash", json::object());
    caller.join();
    EXPECT_EQ(crash.status, 502) << crash.body;
    EXPECT_EQ(json::parse(crash.body)["error"]["code"], "engine_lost");
    EXPECT_EQ(slow.status, 502) << slow.body;
    EXPECT_EQ(json::parse(slow.body)["error"]["code"], "engine_lost");
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/health").status, 200);
    EXPECT_EQ(call(survivor, "basics__echo", {{"text", "still here"}}).status, 200);
    EXPECT_EQ(engines().size(), 1U);
    EXPECT_EQ(call(crashing, "basics__echo", {{"text", "gone"}}).status, 404);
}

TEST_F(EngineTest, TwoEnginesWithTheSameToolNamesStaySeparate) {
    start_hub();
    const auto first = connect_engine();
    const auto second = connect_engine();
    ASSERT_NE(first, second);
    ASSERT_EQ(call(first, "scene__create_object", {{"name", "only-in-first"}}).status, 200);
    const auto first_list = json::parse(call(first, "scene__list_objects", json::object()).body);
    const auto second_list = json::parse(call(second, "scene__list_objects", json::object()).body);
    EXPECT_EQ(first_list["data"]["objects"].size(), 1U);
    EXPECT_TRUE(second_list["data"]["objects"].empty());
}

TEST_F(EngineTest, BrokenManifestIsReportedAndTheOthersLoad) {
    TempDir manifests;
    const std::string source = std::string(ATELIER_SOURCE_DIR) + "/tests/engine/manifests/scene.json";
    std::filesystem::copy_file(source, manifests.path() / "scene.json");
    std::ofstream(manifests.path() / "broken.json")
        << R"({"addon_info":{"id":"broken","name":"Broken","version":"1"},"ai_integration":{"tools":[
             {"name":"spin","description":"Spin","parameters":[{"name":"speed","type":"velocity"}]}]}})";
    start_hub();
    const auto id = connect_engine({"--manifests", manifests.path().string()});
    const auto list = engines();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["tools"], 3);
    ASSERT_EQ(list[0]["manifest_errors"].size(), 1U) << list.dump();
    const auto& rejected = list[0]["manifest_errors"][0];
    EXPECT_EQ(rejected["addon_id"], "broken");
    EXPECT_NE(rejected["errors"].dump().find("/ai_integration/tools/0/parameters/0/type"), std::string::npos)
        << rejected.dump();
    EXPECT_NE(hub->log().find("manifest broken"), std::string::npos) << hub->log();
    EXPECT_EQ(call(id, "scene__list_objects", json::object()).status, 200);
}

TEST_F(EngineTest, EngineRoutesNeedAToken) {
    start_hub();
    EXPECT_EQ(http_request(hub->port(), "GET", "/api/engines").status, 401);
    EXPECT_EQ(http_request(hub->port(), "POST", "/api/engines/launch-tokens", {}, "{}").status, 401);
}

} // namespace
} // namespace atelier::testing
