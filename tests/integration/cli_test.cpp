// SPDX-License-Identifier: Apache-2.0
#include <fstream>

#include <gtest/gtest.h>

#include "core/config.h"
#include "hub_process.h"

namespace atelier::testing {
namespace {

int count_lines(const std::string& text) {
    int lines = 0;
    for (const char c : text) {
        lines += c == '\n' ? 1 : 0;
    }
    return lines;
}

TEST(Cli, PrintsTheVersion) {
    const auto result = run_command({atelier_binary(), "version"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out.rfind("atelier ", 0), 0U) << result.out;
}

TEST(Cli, ServeHelpDocumentsEveryOption) {
    const auto result = run_command({atelier_binary(), "serve", "--help"});
    EXPECT_EQ(result.exit_code, 0);
    for (const auto& spec : config_options()) {
        EXPECT_NE(result.out.find("--" + std::string(spec.flag)), std::string::npos) << spec.flag;
        EXPECT_NE(result.out.find(std::string(spec.env)), std::string::npos) << spec.env;
    }
}

TEST(Cli, UnknownKeyInConfigFileExitsTwoWithOneLineNamingIt) {
    TempDir dir;
    const auto file = dir.path() / "atelier.toml";
    std::ofstream(file) << "port = 0\n[limits]\nbody_bites = 5\n";
    const auto result = run_command({atelier_binary(), "serve", "--config", file.string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(count_lines(result.err), 1) << result.err;
    EXPECT_NE(result.err.find("limits.body_bites"), std::string::npos) << result.err;
}

TEST(Cli, BadValueFromEnvironmentExitsTwoNamingTheVariable) {
    const auto result = run_command({atelier_binary(), "serve"}, {{"ATELIER_PORT", "eighty"}});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(count_lines(result.err), 1) << result.err;
    EXPECT_NE(result.err.find("ATELIER_PORT"), std::string::npos) << result.err;
}

TEST(Cli, UnknownFlagExitsTwo) {
    const auto result = run_command({atelier_binary(), "serve", "--frobnicate"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("frobnicate"), std::string::npos) << result.err;
}

TEST(Cli, ConfigFileIsReadFromTheEnvironmentToo) {
    TempDir dir;
    const auto file = dir.path() / "atelier.toml";
    std::ofstream(file) << "host = \"not an address\"\n";
    const auto result = run_command({atelier_binary(), "serve", "--data-dir", dir.path().string()},
                                    {{"ATELIER_CONFIG", file.string()}});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("host"), std::string::npos) << result.err;
}

} // namespace
} // namespace atelier::testing
