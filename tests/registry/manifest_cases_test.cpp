// SPDX-License-Identifier: Apache-2.0
// The manifest cases in manifests/valid and manifests/invalid. A valid manifest must load, and its
// sibling .expected.json (when present) lists what some of its tools must look like. An invalid one
// must be refused with exactly the errors of its .expected.json: the same pointers, each message
// containing the given text.

#include <algorithm>

#include <gtest/gtest.h>

#include "registry/manifest_parser.h"
#include "registry/registry.h"
#include "test_data.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;
namespace data = testing_data;

std::filesystem::path expected_file(const std::filesystem::path& file) {
    auto expected = file;
    expected.replace_extension(".expected.json");
    return expected;
}

std::string name_of(const ::testing::TestParamInfo<std::filesystem::path>& info) {
    return data::test_name(info.param);
}

class ValidManifest : public ::testing::TestWithParam<std::filesystem::path> {};
class InvalidManifest : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(ValidManifest, LoadsAndBuildsTheExpectedTools) {
    const Json manifest = data::load(GetParam());
    ASSERT_FALSE(manifest.is_discarded()) << "not JSON: " << GetParam();
    Registry registry;
    auto outcome = registry.update(Json::array({manifest}));
    ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
    ASSERT_TRUE(outcome->rejected.empty()) << describe(outcome->rejected.front().errors);
    ASSERT_EQ(outcome->accepted, 1u);

    const auto expected_path = expected_file(GetParam());
    if (!std::filesystem::exists(expected_path)) {
        return;
    }
    const Json expected = data::load(expected_path);
    ASSERT_FALSE(expected.is_discarded()) << "not JSON: " << expected_path;
    const auto snapshot = registry.snapshot();
    if (expected.contains("addon")) {
        const auto& addon = snapshot->addons.front();
        const auto& want = expected["addon"];
        EXPECT_EQ(addon.info.id, want.value("id", addon.info.id));
        EXPECT_EQ(addon.agent_description, want.value("agent_description", addon.agent_description));
        if (want.contains("context_hints")) {
            EXPECT_EQ(Json(addon.context_hints), want["context_hints"]);
        }
    }
    const Json tools = expected.value("tools", Json::object());
    for (const auto& [name, want] : tools.items()) {
        auto tool = snapshot->find(name);
        ASSERT_NE(tool, nullptr) << "no tool " << name << "; have " << Json(snapshot->tool_names()).dump();
        const Json actual = tool->to_json();
        for (const auto& [key, value] : want.items()) {
            EXPECT_EQ(actual.value(key, Json()), value)
                << name << "." << key << "\nactual:   " << actual[key].dump() << "\nexpected: " << value.dump();
        }
    }
}

TEST_P(InvalidManifest, IsRejectedWithEveryExpectedError) {
    const Json manifest = data::load(GetParam());
    ASSERT_FALSE(manifest.is_discarded()) << "not JSON: " << GetParam();
    const Json expected = data::load(expected_file(GetParam()));
    ASSERT_TRUE(expected.contains("errors")) << "missing or broken " << expected_file(GetParam());

    auto parsed = parse_manifest(manifest);
    ASSERT_FALSE(parsed.has_value()) << "the manifest was accepted";
    auto actual = parsed.error();
    std::vector<Json> wanted(expected["errors"].begin(), expected["errors"].end());
    std::stable_sort(actual.begin(), actual.end(), [](const auto& a, const auto& b) { return a.pointer < b.pointer; });
    std::stable_sort(wanted.begin(), wanted.end(), [](const Json& a, const Json& b) {
        return a["pointer"].get<std::string>() < b["pointer"].get<std::string>();
    });
    ASSERT_EQ(actual.size(), wanted.size()) << "actual errors:\n" << describe(actual);
    for (std::size_t i = 0; i < actual.size(); ++i) {
        EXPECT_EQ(actual[i].pointer, wanted[i]["pointer"].get<std::string>()) << actual[i].message;
        const auto fragment = wanted[i]["contains"].get<std::string>();
        EXPECT_NE(actual[i].message.find(fragment), std::string::npos)
            << "message: " << actual[i].message << "\nshould contain: " << fragment;
    }

    // The registry keeps the same errors for GET /api/engines instead of dropping the manifest.
    Registry registry;
    auto outcome = registry.update(Json::array({manifest}));
    ASSERT_TRUE(outcome.has_value());
    ASSERT_EQ(outcome->rejected.size(), 1u);
    EXPECT_EQ(outcome->rejected.front().errors.size(), wanted.size());
    EXPECT_TRUE(registry.snapshot()->tools.empty());
}

INSTANTIATE_TEST_SUITE_P(ManifestCases, ValidManifest,
                         ::testing::ValuesIn(data::case_files(data::path("manifests/valid"))), name_of);
INSTANTIATE_TEST_SUITE_P(ManifestCases, InvalidManifest,
                         ::testing::ValuesIn(data::case_files(data::path("manifests/invalid"))), name_of);

TEST(ManifestCases, EveryInvalidCaseHasAnExpectedFile) {
    const auto files = data::case_files(data::path("manifests/invalid"));
    EXPECT_GE(files.size(), 15u);
    for (const auto& file : files) {
        EXPECT_TRUE(std::filesystem::exists(expected_file(file))) << file;
    }
    EXPECT_GE(data::case_files(data::path("manifests/valid")).size(), 4u);
}

} // namespace
} // namespace atelier::registry
