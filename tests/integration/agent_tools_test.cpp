// SPDX-License-Identifier: Apache-2.0
// The craft tools of issue 17 used by the agent: the real hub, real Blender and the fake model
// server. Each case file (tests/integration/cases/agent_tools/<case>.json) scripts the model's
// tool calls and says what the turn must leave behind; one runner plays them all, on one Blender
// session shared by the whole suite:
//
//     {"about": "…",
//      "uploads": {"assets/sky.hdr": "assets/library/hdri/studio_soft.hdr"},   (project path: repo file)
//      "steps": [[{"name": "<tool>", "arguments": {…}}, …], …],   one model step each
//      "expect": {"results": {"<tool>": <pattern>},   the tool's last agent:tool_result payload
//                 "scene": <pattern>,                 the scene summary after the turn
//                 "context": ["…"]}}                  text of the scene the model was sent last
//
// The runner clears the scene first (scene__clear_scene in the first step) and ends the turn with
// router__scene_summary, whose result is the scene the pattern is checked against. Every tool call
// must succeed. Patterns: an object matches when each of its keys matches; a plain array matches
// item by item; numbers within 0.001 (relative to the larger); operators in an object with `$`
// keys: `$min`, `$max` (numbers), `$size` (arrays, strings), `$contains` (a substring of a
// string), `$has` (an array holding, in any order, distinct items matching each given pattern).

#include "atelier/source_dir.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "session_fixture.h"

namespace atelier::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSource{ATELIER_SOURCE_DIR};
const fs::path kCases = kSource / "tests/integration/cases/agent_tools";

/// The tools issue 17 added, extended or merged: each must be called by at least one case.
const std::vector<std::string> kCraftTools{"router__screenshot",
                                           "router__history",
                                           "scene__scatter",
                                           "scene__duplicate_object",
                                           "scene__join_objects",
                                           "scene__list_objects",
                                           "modeling__add_text",
                                           "modeling__convert_to_mesh",
                                           "modeling__add_backdrop",
                                           "modeling__add_modifier",
                                           "render__set_render_settings",
                                           "render__list_project_files",
                                           "render__import_model",
                                           "animation__spin",
                                           "animation__turntable",
                                           "animation__keyframe_transform",
                                           "lighting__sky_preset",
                                           "lighting__hdri_world",
                                           "lighting__studio_lights",
                                           "materials__set_material",
                                           "camera__set_camera"};

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> case_names() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(kCases)) {
        if (entry.path().extension() == ".json") {
            names.push_back(entry.path().stem().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool is_operator(const json& pattern) {
    return pattern.is_object() && !pattern.empty() && pattern.begin().key().starts_with("$");
}

bool numbers_match(double actual, double expected) {
    return std::fabs(actual - expected) <= 1e-3 * std::max({1.0, std::fabs(actual), std::fabs(expected)});
}

/// Whether `actual` matches `pattern` (the grammar above); on a mismatch `why` says where.
bool matches(const json& actual, const json& pattern, const std::string& where, std::string& why);

bool operator_matches(const json& actual, const json& pattern, const std::string& where, std::string& why) {
    for (const auto& [op, operand] : pattern.items()) {
        bool ok = false;
        if (op == "$min" || op == "$max") {
            ok = actual.is_number() && (op == "$min" ? actual.get<double>() >= operand.get<double>() - 1e-9
                                                     : actual.get<double>() <= operand.get<double>() + 1e-9);
        } else if (op == "$size") {
            ok = (actual.is_array() || actual.is_string()) &&
                 (actual.is_array() ? actual.size() : actual.get<std::string>().size()) == operand.get<std::size_t>();
        } else if (op == "$contains") {
            ok = actual.is_string() && actual.get<std::string>().find(operand.get<std::string>()) != std::string::npos;
        } else if (op == "$has") {
            if (!actual.is_array()) {
                why = where + ": not an array: " + actual.dump();
                return false;
            }
            std::set<std::size_t> used;
            for (const auto& wanted : operand) {
                bool found = false;
                for (std::size_t i = 0; i < actual.size() && !found; ++i) {
                    std::string ignored;
                    if (!used.contains(i) && matches(actual[i], wanted, where, ignored)) {
                        used.insert(i);
                        found = true;
                    }
                }
                if (!found) {
                    why = where + ": no item matches " + wanted.dump() + " in " + actual.dump();
                    return false;
                }
            }
            ok = true;
        } else {
            why = where + ": unknown operator " + op;
            return false;
        }
        if (!ok) {
            why = where + ": " + actual.dump() + " fails " + op + " " + operand.dump();
            return false;
        }
    }
    return true;
}

bool matches(const json& actual, const json& pattern, const std::string& where, std::string& why) {
    if (is_operator(pattern)) {
        return operator_matches(actual, pattern, where, why);
    }
    if (pattern.is_object()) {
        if (!actual.is_object()) {
            why = where + ": not an object: " + actual.dump();
            return false;
        }
        for (const auto& [key, wanted] : pattern.items()) {
            if (!actual.contains(key)) {
                why = where + "/" + key + ": missing in " + actual.dump();
                return false;
            }
            if (!matches(actual[key], wanted, where + "/" + key, why)) {
                return false;
            }
        }
        return true;
    }
    if (pattern.is_array()) {
        if (!actual.is_array() || actual.size() != pattern.size()) {
            why = where + ": " + actual.dump() + " is not " + pattern.dump();
            return false;
        }
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            if (!matches(actual[i], pattern[i], where + "/" + std::to_string(i), why)) {
                return false;
            }
        }
        return true;
    }
    const bool ok = pattern.is_number()
                        ? actual.is_number() && numbers_match(actual.get<double>(), pattern.get<double>())
                        : actual == pattern;
    if (!ok) {
        why = where + ": " + actual.dump() + " is not " + pattern.dump();
    }
    return ok;
}

// ----- the pattern language itself: a wrong scene must fail -----

TEST(AgentToolPatterns, AWrongSceneFailsAndSaysWhere) {
    const auto scene = json::parse(R"({"objects": [{"name": "Rocks", "modifiers": ["nodes"], "dimensions": [6, 2, 2]},
                                                   {"name": "Ground", "type": "mesh"}],
                                       "render": {"view_transform": "Filmic"}, "object_count": 2})");
    std::string why;
    EXPECT_TRUE(matches(scene, json::parse(R"({"objects": {"$has": [{"name": "Ground"}, {"name": "Rocks",
                                                "dimensions": [6.0001, {"$min": 1.9}, 2]}]}, "object_count": 2})"),
                        "", why))
        << why;
    EXPECT_FALSE(matches(scene, json::parse(R"({"render": {"view_transform": "Standard"}})"), "", why));
    EXPECT_EQ(why, "/render/view_transform: \"Filmic\" is not \"Standard\"");
    EXPECT_FALSE(
        matches(scene, json::parse(R"({"objects": {"$has": [{"name": "Rocks"}, {"name": "Rocks"}]}})"), "", why))
        << "one item cannot match two patterns";
    EXPECT_FALSE(
        matches(scene, json::parse(R"({"objects": {"$has": [{"name": "Rocks", "dimensions": [2, 2, 6]}]}})"), "", why))
        << "vectors match in order";
    EXPECT_FALSE(matches(scene, json::parse(R"({"object_count": {"$min": 3}})"), "", why));
    EXPECT_FALSE(matches(scene, json::parse(R"({"objects": {"$size": 3}})"), "", why));
    EXPECT_FALSE(matches(scene, json::parse(R"({"camera": null})"), "", why));
    EXPECT_EQ(why, "/camera: missing in " + scene.dump());
    EXPECT_FALSE(matches(scene, json::parse(R"({"object_count": {"$near": 2}})"), "", why));
    EXPECT_EQ(why, "/object_count: unknown operator $near");
}

TEST(AgentToolPatterns, EveryCraftToolIsCalledByACase) {
    std::set<std::string> called;
    for (const auto& name : case_names()) {
        const auto spec = json::parse(read_text(kCases / (name + ".json")));
        for (const auto& step : spec.at("steps")) {
            for (const auto& call : step) {
                called.insert(call.at("name").get<std::string>());
            }
        }
        EXPECT_TRUE(spec.at("expect").contains("scene") || spec.at("expect").contains("results")) << name;
    }
    for (const auto& tool : kCraftTools) {
        EXPECT_TRUE(called.contains(tool)) << tool << " has no case in " << kCases;
    }
}

// ----- the cases, against real Blender -----

/// One hub, one project and one Blender session for the whole suite: each case is one turn.
class AgentToolsTest : public ::testing::TestWithParam<std::string> {
protected:
    struct Shared {
        TempDir config_dir;
        std::unique_ptr<FakeModelServer> model;
        std::unique_ptr<HubProcess> hub;
        std::unique_ptr<Tab> tab;
        std::string project;
        std::string error; ///< why the suite could not start; every case fails with it
    };
    inline static std::unique_ptr<Shared> shared;

    static void SetUpTestSuite() {
        shared = std::make_unique<Shared>();
        auto& s = *shared;
        s.model = FakeModelServer::start(&s.error);
        if (!s.model) {
            return;
        }
        const auto file = s.config_dir.path() / "atelier.toml";
        std::ofstream(file)
            << "[engines.blender]\ncommand = [\"blender\", \"-b\", \"--factory-startup\", \"--python\", \""
            << (kSource / "engines/blender/bootstrap.py").string() << "\", \"--\"]\npool = 0\n"
            << "[model]\nprovider = \"anthropic\"\nmodel = \"fake-model\"\nbase_url = \"" << s.model->base_url()
            << "\"\n";
        s.hub = HubProcess::start({.args = {"--config", file.string(), "--session-grace", "1"}});
        if (!s.hub) {
            s.error = "the hub did not start";
            return;
        }
        const auto created = http_request(s.hub->port(), "POST", "/api/projects", {{"Authorization", s.hub->bearer()}},
                                          json{{"name", "craft"}, {"kind", "blender"}}.dump());
        if (created.status != 201) {
            s.error = "creating the project: " + std::to_string(created.status) + " " + created.body;
            return;
        }
        s.project = json::parse(created.body)["id"];
        s.tab = std::make_unique<Tab>(*s.hub);
        s.tab->send("session:start", {{"project_id", s.project}});
        if (s.tab->next("session:ready", std::chrono::seconds(180)).is_null()) {
            s.error = "no session:ready from Blender: " + s.hub->log();
        }
    }

    static void TearDownTestSuite() { shared.reset(); }

    /// PUT each upload into the project (the live session's working tree).
    static void upload(const json& uploads) {
        for (const auto& [path, source] : uploads.items()) {
            const auto response = http_request(
                shared->hub->port(), "PUT", "/api/projects/" + shared->project + "/files/" + path,
                {{"Authorization", shared->hub->bearer()}}, read_text(kSource / source.get<std::string>()));
            ASSERT_TRUE(response.status == 200 || response.status == 201) << path << ": " << response.body;
        }
    }

    /// The text of the last message of the model's last request: the scene context.
    static std::string last_context() {
        const auto requests = shared->model->requests();
        if (requests.empty()) {
            return "";
        }
        const auto& last = requests.back()["body"]["messages"].back();
        if (last["content"].is_string()) {
            return last["content"];
        }
        std::string text;
        for (const auto& block : last["content"]) {
            text += block.value("text", "") + "\n";
        }
        return text;
    }
};

TEST_P(AgentToolsTest, TheScriptedToolCallsLeaveTheExpectedScene) {
    auto& s = *shared;
    ASSERT_EQ(s.error, "");
    const auto spec = json::parse(read_text(kCases / (GetParam() + ".json")));
    upload(spec.value("uploads", json::object()));

    json replies = json::array();
    std::size_t expected_calls = 2; // the runner's clear_scene and scene_summary
    for (const auto& step : spec.at("steps")) {
        json calls = step;
        if (replies.empty()) {
            calls.insert(calls.begin(), json{{"name", "scene__clear_scene"}, {"arguments", json::object()}});
        }
        replies.push_back({{"text", "Working."}, {"tool_calls", calls}});
        expected_calls += step.size();
    }
    replies.push_back(
        {{"text", "Checking."},
         {"tool_calls", json::array({json{{"name", "router__scene_summary"}, {"arguments", json::object()}}})}});
    replies.push_back({{"text", "Done."}});
    ASSERT_TRUE(s.model->script({{"replies", replies}}));

    s.tab->seen.clear();
    s.tab->frames.clear();
    s.tab->send("message:send", {{"text", "case " + GetParam()}});
    const auto complete = s.tab->next("agent:complete", std::chrono::seconds(300));
    ASSERT_FALSE(complete.is_null()) << json(s.tab->seen).dump(1) << s.hub->log();
    EXPECT_EQ(complete["payload"]["ok"], true) << complete.dump();

    const auto results = s.tab->all("agent:tool_result");
    ASSERT_EQ(results.size(), expected_calls) << json(results).dump(1);
    for (const auto& result : results) {
        EXPECT_EQ(result["payload"]["ok"], true) << result["payload"].dump(1);
    }
    const auto last_of = [&results](const std::string& tool) -> json {
        for (auto it = results.rbegin(); it != results.rend(); ++it) {
            if ((*it)["payload"]["tool"] == tool) {
                return (*it)["payload"];
            }
        }
        return nullptr;
    };
    const auto& expect = spec.at("expect");
    const auto expected_results = expect.value("results", json::object());
    for (const auto& [tool, pattern] : expected_results.items()) {
        const auto payload = last_of(tool);
        ASSERT_FALSE(payload.is_null()) << tool << " was not called";
        std::string why;
        auto shown = payload; // without the bytes of images
        if (shown.contains("content") && shown["content"].is_array()) {
            for (auto& block : shown["content"]) {
                if (block.contains("data") && block["data"].is_string()) {
                    block["data"] = "(" + std::to_string(block["data"].get<std::string>().size()) + " bytes)";
                }
            }
        }
        EXPECT_TRUE(matches(payload, pattern, tool, why)) << why << "\n" << shown.dump(1);
    }
    const auto scene = last_of("router__scene_summary")["data"];
    if (expect.contains("scene")) {
        std::string why;
        EXPECT_TRUE(matches(scene, expect["scene"], "scene", why)) << why << "\n" << scene.dump(1);
    }
    const auto context = last_context();
    for (const auto& text : expect.value("context", json::array())) {
        EXPECT_NE(context.find(text.get<std::string>()), std::string::npos) << text << " not in\n" << context;
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, AgentToolsTest, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

} // namespace
} // namespace atelier::testing
