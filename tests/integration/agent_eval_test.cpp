// SPDX-License-Identifier: Apache-2.0
// `atelier eval` end to end: the real hub launching real Blender, the fake model server replaying
// scripted conversations (tests/eval/*.json) for tasks of the real suite (eval/tasks), and the
// eval command driving the hub as a client. The checks themselves are under test: a scripted
// model that builds the right scene passes, one that builds the wrong scene fails.

#include "atelier/source_dir.h"
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSource{ATELIER_SOURCE_DIR};

json read_json(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

class AgentEvalTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string error;
        model = FakeModelServer::start(&error);
        ASSERT_NE(model, nullptr) << error;
        const auto file = config_dir.path() / "atelier.toml";
        std::ofstream out(file);
        out << "[engines.blender]\ncommand = [\"blender\", \"-b\", \"--factory-startup\", \"--python\", \""
            << (kSource / "engines/blender/bootstrap.py").string() << "\", \"--\"]\npool = 0\n"
            << "[model]\nprovider = \"anthropic\"\nmodel = \"fake-model\"\nbase_url = \"" << model->base_url()
            << "\"\n";
        out.close();
        hub = HubProcess::start({.args = {"--config", file.string(), "--session-grace", "1"}});
        ASSERT_NE(hub, nullptr);
    }

    /// Scripts the model: each task's prompt gets the replies of tests/eval/<script>.json.
    void script(const std::map<std::string, std::string>& task_to_script) {
        json by_prompt = json::object();
        for (const auto& [task, name] : task_to_script) {
            const auto prompt = read_json(kSource / "eval/tasks" / (task + ".json"))["prompt"].get<std::string>();
            by_prompt[prompt] = read_json(kSource / "tests/eval" / (name + ".json"))["replies"];
        }
        ASSERT_TRUE(model->script({{"by_prompt", by_prompt}}));
    }

    struct Eval {
        CommandResult command;
        json results; ///< the --json file: {"hub", "tasks": [...]}
    };

    Eval run_eval(const std::string& only) {
        const auto out = config_dir.path() / "results.json";
        Eval eval;
        eval.command = run_command(
            {atelier_binary(), "eval", "--url", "http://127.0.0.1:" + std::to_string(hub->port()), "--token",
             hub->token(), "--tasks", (kSource / "eval/tasks").string(), "--only", only, "--json", out.string()});
        if (fs::exists(out)) {
            eval.results = read_json(out);
        }
        std::printf("%s", eval.command.out.c_str()); // the table, for the test log
        return eval;
    }

    static json task(const json& results, const std::string& id) {
        for (const auto& item : results.value("tasks", json::array())) {
            if (item["task"] == id) {
                return item;
            }
        }
        return nullptr;
    }

    TempDir config_dir;
    std::unique_ptr<FakeModelServer> model;
    std::unique_ptr<HubProcess> hub;
};

TEST_F(AgentEvalTest, ScriptedRightScenesPassAndTheTableSaysWhatTheyCost) {
    script({{"red_sphere_still", "red_sphere_still"}, {"bouncing_ball", "bouncing_ball"}});
    const auto eval = run_eval("red_sphere_still,bouncing_ball");
    const auto context = eval.command.out + eval.command.err + hub->log();
    ASSERT_EQ(eval.command.exit_code, 0) << context;
    const auto still = task(eval.results, "red_sphere_still");
    ASSERT_TRUE(still.is_object()) << eval.results.dump(1);
    EXPECT_EQ(still["passed"], true) << still.dump(1);
    EXPECT_EQ(still["steps"], 4);
    EXPECT_EQ(still["tool_calls"], 4);
    EXPECT_EQ(still["tool_errors"], 0);
    // The token columns are the provider's own counts, summed over the turn's four requests.
    EXPECT_EQ(still["usage"]["input_tokens"], 9000 + 9400 + 9800 + 10500);
    EXPECT_EQ(still["usage"]["cached_input_tokens"], 8000 + 9000 + 9500);
    EXPECT_EQ(still["usage"]["cache_write_input_tokens"], 8000);
    EXPECT_EQ(still["usage"]["output_tokens"], 80 + 40 + 30 + 20);
    bool saw_render_check = false;
    for (const auto& check : still["checks"]) {
        saw_render_check = saw_render_check || check["check"] == "render still not blank";
    }
    EXPECT_TRUE(saw_render_check) << still.dump(1);
    const auto ball = task(eval.results, "bouncing_ball");
    ASSERT_TRUE(ball.is_object()) << eval.results.dump(1);
    EXPECT_EQ(ball["passed"], true) << ball.dump(1);
    EXPECT_EQ(ball["tool_errors"], 1); // the refused "frame": "one"
    // The table on stdout.
    EXPECT_NE(eval.command.out.find("red_sphere_still"), std::string::npos) << eval.command.out;
    EXPECT_NE(eval.command.out.find("PASS"), std::string::npos) << eval.command.out;
    EXPECT_EQ(eval.command.out.find("FAIL"), std::string::npos) << eval.command.out;
}

TEST_F(AgentEvalTest, AScriptedWrongSceneFailsItsChecks) {
    script({{"red_sphere_still", "red_sphere_still.wrong"}});
    const auto eval = run_eval("red_sphere_still");
    const auto context = eval.command.out + eval.command.err + hub->log();
    ASSERT_EQ(eval.command.exit_code, 1) << context;
    const auto still = task(eval.results, "red_sphere_still");
    ASSERT_TRUE(still.is_object()) << eval.results.dump(1);
    EXPECT_EQ(still["passed"], false);
    EXPECT_EQ(still["error"], "") << "the run itself worked; its result is wrong";
    // Only the missing sphere fails: the plane, the camera, the lights and the render are there.
    std::vector<std::string> failed;
    for (const auto& check : still["checks"]) {
        if (check["passed"] == false) {
            failed.push_back(check["check"]);
        }
    }
    EXPECT_EQ(failed, std::vector<std::string>{"object type=mesh name=sphere material=true"}) << still.dump(1);
    EXPECT_NE(eval.command.out.find("FAIL"), std::string::npos) << eval.command.out;
}

TEST_F(AgentEvalTest, ABadTaskFileIsAClearErrorNotAPass) {
    const auto tasks = config_dir.path() / "tasks";
    fs::create_directories(tasks);
    std::ofstream(tasks / "typo.json")
        << R"({"id": "typo", "engine": "blender", "prompt": "a cube", "checks": {"object": [{"name": "cube"}]}})";
    const auto result =
        run_command({atelier_binary(), "eval", "--url", "http://127.0.0.1:" + std::to_string(hub->port()), "--token",
                     hub->token(), "--tasks", tasks.string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("unknown check \"object\""), std::string::npos) << result.err;
}

TEST_F(AgentEvalTest, NoHubAtTheUrlIsAClearError) {
    hub->stop(SIGTERM, std::chrono::seconds(20));
    const auto result =
        run_command({atelier_binary(), "eval", "--url", "http://127.0.0.1:" + std::to_string(hub->port()), "--token",
                     hub->token(), "--tasks", (kSource / "eval/tasks").string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("no hub at"), std::string::npos) << result.err;
}

} // namespace
} // namespace atelier::testing
