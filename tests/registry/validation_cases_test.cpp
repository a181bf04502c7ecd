// SPDX-License-Identifier: Apache-2.0
// The argument cases in validation/*.json: a manifest, one of its tools, and calls with the exact
// errors (pointer and message) each must produce, sorted by pointer.

#include <gtest/gtest.h>

#include "registry/registry.h"
#include "test_data.h"

namespace atelier::registry {
namespace {

using Json = nlohmann::json;
namespace data = testing_data;

struct ValidationCase {
    std::string name;
    Json manifest;
    std::string tool;
    Json arguments;
    Json errors;
};

std::vector<ValidationCase> load_cases() {
    std::vector<ValidationCase> cases;
    for (const auto& file : data::case_files(data::path("validation"))) {
        const Json document = data::load(file);
        if (document.is_discarded()) {
            cases.push_back({data::test_name(file) + "_is_not_json", Json(), "", Json(), Json()});
            continue;
        }
        for (const auto& item : document["cases"]) {
            cases.push_back({data::test_name(file) + "__" + item["name"].get<std::string>(), document["manifest"],
                             document["tool"].get<std::string>(), item["arguments"], item["errors"]});
        }
    }
    return cases;
}

// Names the case in failure messages instead of dumping its bytes.
void PrintTo(const ValidationCase& test_case, std::ostream* out) {
    *out << test_case.name;
}

class ValidationCaseTest : public ::testing::TestWithParam<ValidationCase> {};

TEST_P(ValidationCaseTest, ReportsExactlyTheExpectedErrors) {
    const auto& test_case = GetParam();
    ASSERT_TRUE(test_case.manifest.is_object()) << "broken case file";
    Registry registry;
    auto outcome = registry.update(Json::array({test_case.manifest}));
    ASSERT_TRUE(outcome.has_value());
    ASSERT_TRUE(outcome->rejected.empty()) << describe(outcome->rejected.front().errors);
    auto tool = registry.find(test_case.tool);
    ASSERT_NE(tool, nullptr) << test_case.tool;

    EXPECT_EQ(to_json(tool->validate(test_case.arguments)), test_case.errors)
        << "actual:\n"
        << describe(tool->validate(test_case.arguments));
}

INSTANTIATE_TEST_SUITE_P(ValidationCases, ValidationCaseTest, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<ValidationCase>& param_info) {
                             return param_info.param.name;
                         });

TEST(ValidationCases, CaseFilesArePresent) {
    EXPECT_GE(load_cases().size(), 20u);
}

} // namespace
} // namespace atelier::registry
