// SPDX-License-Identifier: Apache-2.0
#include <fstream>

#include <gtest/gtest.h>

#include "core/config.h"
#include "hub_process.h"

namespace atelier {
namespace {

using testing::TempDir;

std::filesystem::path write_file(const TempDir& dir, const std::string& text) {
    const auto path = dir.path() / "atelier.toml";
    std::ofstream(path) << text;
    return path;
}

TEST(Config, UsesDefaultsWhenNothingIsGiven) {
    auto config = load_config({});
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->host, "127.0.0.1");
    EXPECT_EQ(config->port, 8420);
    EXPECT_EQ(config->max_body_bytes, 1 << 20);
    EXPECT_EQ(config->ws_max_text_bytes, 1 << 20);
    EXPECT_EQ(config->ws_max_binary_bytes, 8 << 20);
    EXPECT_DOUBLE_EQ(config->shutdown_drain_s, 5);
    EXPECT_FALSE(config->data_dir.empty());
    EXPECT_TRUE(config->web_root.ends_with("web/dist"));
}

TEST(Config, FlagsBeatEnvironmentWhichBeatsFileWhichBeatsDefaults) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "port = 1111\nhost = \"127.0.0.2\"\n[log]\nlevel = \"debug\"\n");
    sources.environment = {{"ATELIER_PORT", "2222"}, {"ATELIER_LOG_LEVEL", "warn"}};
    sources.flags = {{"port", "3333"}};
    auto config = load_config(sources);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->port, 3333);              // flag
    EXPECT_EQ(config->log_level, "warn");       // environment over file
    EXPECT_EQ(config->host, "127.0.0.2");       // file over default
    EXPECT_EQ(config->max_header_bytes, 16384); // default
}

TEST(Config, RejectsUnknownKeyNamingIt) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "[limits]\nbody_byte = 10\n");
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().code, ErrorCode::InvalidConfig);
    EXPECT_NE(config.error().message.find("limits.body_byte"), std::string::npos) << config.error().message;
    EXPECT_NE(config.error().message.find("unknown key"), std::string::npos);
    EXPECT_EQ(config.error().message.find('\n'), std::string::npos) << "one line";
}

TEST(Config, RejectsUnknownTopLevelKey) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "prot = 80\n");
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("prot"), std::string::npos);
}

TEST(Config, RejectsWrongTypeInFile) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "port = \"8420\"\n");
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("port"), std::string::npos);
    EXPECT_NE(config.error().message.find("integer"), std::string::npos) << config.error().message;
}

TEST(Config, RejectsOutOfRangeValueFromEnvironment) {
    ConfigSources sources;
    sources.environment = {{"ATELIER_PORT", "70000"}};
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("ATELIER_PORT"), std::string::npos) << config.error().message;
    EXPECT_NE(config.error().message.find("out of range"), std::string::npos);
}

TEST(Config, RejectsValueOutsideTheChoices) {
    ConfigSources sources;
    sources.flags = {{"log.format", "xml"}};
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("--log-format"), std::string::npos) << config.error().message;
    EXPECT_NE(config.error().message.find("text, json"), std::string::npos);
}

TEST(Config, ReadsSizesWithSuffixes) {
    ConfigSources sources;
    sources.flags = {{"limits.body_bytes", "2M"}, {"limits.ws_binary_bytes", "512K"}};
    auto config = load_config(sources);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->max_body_bytes, 2 << 20);
    EXPECT_EQ(config->ws_max_binary_bytes, 512 << 10);
}

// Found by fuzz_config_toml: a size whose suffix overflows 64 bits is refused, not wrapped.
TEST(Config, RefusesASizeTooLargeForItsSuffix) {
    ConfigSources sources;
    sources.flags = {{"limits.body_bytes", "2153233344269007076M"}};
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("limits.body_bytes"), std::string::npos) << config.error().message;
}

TEST(Config, ReportsTomlSyntaxErrorsWithLine) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "port = 1\nhost = \n");
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find(":2:"), std::string::npos) << config.error().message;
}

TEST(Config, ReportsAMissingFile) {
    ConfigSources sources;
    sources.file = "/nonexistent/atelier.toml";
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("does not exist"), std::string::npos);
}

TEST(Config, ReadsEngineKinds) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "[engines.blender]\ncommand = [\"blender\", \"-b\"]\npool = 2\nsandbox = true\n");
    auto config = load_config(sources);
    ASSERT_TRUE(config) << config.error().message;
    ASSERT_TRUE(config->engines.contains("blender"));
    EXPECT_EQ(config->engines["blender"].command, (std::vector<std::string>{"blender", "-b"}));
    EXPECT_EQ(config->engines["blender"].pool, 2);
    EXPECT_TRUE(config->engines["blender"].sandbox);
}

TEST(Config, ConfigDirInAnEngineKindIsTheConfigFilesDirectory) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "[engines.blender]\ncommand = [\"blender\", \"--python\", "
                                   "\"{config_dir}/../engines/bootstrap.py\"]\ntemplate = \"{config_dir}/t\"\n");
    auto config = load_config(sources);
    ASSERT_TRUE(config) << config.error().message;
    const auto& kind = config->engines["blender"];
    EXPECT_EQ(kind.command,
              (std::vector<std::string>{"blender", "--python", dir.path().string() + "/../engines/bootstrap.py"}));
    EXPECT_EQ(kind.template_dir, dir.path().string() + "/t");
}

TEST(Config, RejectsEngineKindWithoutCommand) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "[engines.blender]\npool = 1\n");
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("engines.blender.command"), std::string::npos) << config.error().message;
}

TEST(Config, ReadsDockerAndKubernetesLaunchers) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "[docker]\nsocket = \"/tmp/d.sock\"\n"
                                   "[engines.boxed]\ncommand = [\"engine\"]\nlauncher = \"docker\"\n"
                                   "image = \"atelier-engine:host\"\nmemory = \"512MiB\"\ncpus = 1.5\npids = 256\n"
                                   "host_usr = true\nmounts = [\"{config_dir}/engines\"]\n"
                                   "[engines.pod]\ncommand = [\"engine\"]\nlauncher = \"kubernetes\"\n"
                                   "image = \"registry/engine:1\"\nnamespace = \"studio\"\n"
                                   "active_deadline_seconds = 3600\nvolume_claim = \"atelier-data\"\n"
                                   "hub_url = \"ws://hub-0.hub:8420/ws/engine\"\n");
    auto config = load_config(sources);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->docker_socket, "/tmp/d.sock");
    const auto& boxed = config->engines["boxed"];
    EXPECT_EQ(boxed.launcher, "docker");
    EXPECT_EQ(boxed.memory_bytes, 512 << 20);
    EXPECT_EQ(boxed.cpus, 1.5);
    EXPECT_EQ(boxed.pids, 256);
    EXPECT_TRUE(boxed.host_usr);
    EXPECT_EQ(boxed.mounts, (std::vector<std::string>{dir.path().string() + "/engines"}));
    const auto& pod = config->engines["pod"];
    EXPECT_EQ(pod.launcher, "kubernetes");
    EXPECT_EQ(pod.kubernetes_namespace, "studio");
    EXPECT_EQ(pod.active_deadline_seconds, 3600);
    EXPECT_EQ(pod.volume_claim, "atelier-data");
}

TEST(Config, RejectsAnUnknownLauncherNamingTheKnownOnes) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "[engines.x]\ncommand = [\"engine\"]\nlauncher = \"nomad\"\n");
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("engines.x.launcher"), std::string::npos) << config.error().message;
    EXPECT_NE(config.error().message.find("unknown launcher \"nomad\" (known: local, docker, kubernetes)"),
              std::string::npos)
        << config.error().message;
}

TEST(Config, RejectsLauncherKeysThatDoNotFit) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"launcher = \"docker\"\n", "engines.x.image ("},
        {"image = \"i\"\n", "need launcher = \"docker\" or \"kubernetes\""},
        {"launcher = \"docker\"\nimage = \"i\"\npool = 1\n", "engines.x.pool"},
        {"launcher = \"docker\"\nimage = \"i\"\nsandbox = true\n", "engines.x.sandbox"},
        {"launcher = \"docker\"\nimage = \"i\"\nmemory = \"1KiB\"\n", "at least 6MiB"},
        {"launcher = \"kubernetes\"\nimage = \"i\"\nhost_usr = true\n", "need launcher = \"docker\""},
        {"launcher = \"kubernetes\"\nimage = \"i\"\nhub_url = \"http://x\"\n", "ws:// or wss://"},
    };
    for (const auto& [text, expected] : cases) {
        TempDir dir;
        ConfigSources sources;
        sources.file = write_file(dir, "[engines.x]\ncommand = [\"engine\"]\n" + text);
        auto config = load_config(sources);
        ASSERT_FALSE(config) << text;
        EXPECT_NE(config.error().message.find(expected), std::string::npos) << text << " → " << config.error().message;
    }
}

TEST(Config, EveryOptionHasFlagEnvironmentVariableAndHelp) {
    for (const auto& spec : config_options()) {
        EXPECT_FALSE(spec.flag.empty()) << spec.key;
        EXPECT_TRUE(spec.env.starts_with("ATELIER_")) << spec.key;
        EXPECT_FALSE(spec.help.empty()) << spec.key;
    }
}

TEST(Config, ReadsTheModelAndAgentTables) {
    TempDir dir;
    ConfigSources sources;
    sources.file = write_file(dir, "[model]\nprovider = \"openai\"\nmodel = \"qwen\"\n"
                                   "base_url = \"http://127.0.0.1:8080/v1\"\ntemperature = 0.5\n"
                                   "[agent]\nmax_steps = 7\n");
    sources.environment = {{"ATELIER_AGENT_TOOL_RETRIES", "3"}};
    auto config = load_config(sources);
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->model_provider, "openai");
    EXPECT_EQ(config->model_name, "qwen");
    EXPECT_EQ(config->model_base_url, "http://127.0.0.1:8080/v1");
    EXPECT_DOUBLE_EQ(config->model_temperature, 0.5);
    EXPECT_EQ(config->agent_max_steps, 7);
    EXPECT_EQ(config->agent_tool_retries, 3);
    EXPECT_EQ(config->model_max_tokens, 4096);
}

TEST(Config, NoModelByDefaultAndATemperatureOutOfRangeIsRefused) {
    auto defaults = load_config({});
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->model_provider, "none");
    EXPECT_LT(defaults->model_temperature, 0); // the provider's default
    ConfigSources sources;
    sources.flags = {{"model.temperature", "3"}};
    auto config = load_config(sources);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("model.temperature"), std::string::npos) << config.error().message;
    sources.flags = {{"model.provider", "gemini"}};
    EXPECT_FALSE(load_config(sources));
}

} // namespace
} // namespace atelier
