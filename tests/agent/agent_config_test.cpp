// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "agent/agent_config.h"

namespace atelier::agent {
namespace {

EnvironmentLookup env(std::map<std::string, std::string> values) {
    return [values](const std::string& name) -> std::optional<std::string> {
        const auto it = values.find(name);
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

TEST(AgentConfig, NoProviderMeansNoModel) {
    const auto options = agent_options(Config{}, env({}));
    EXPECT_FALSE(options.model);
    EXPECT_FALSE(options.not_configured.empty());
}

TEST(AgentConfig, ThePublicApiNeedsItsKeyVariable) {
    Config config;
    config.model_provider = "anthropic";
    config.model_name = "claude-x";
    const auto missing = agent_options(config, env({}));
    EXPECT_FALSE(missing.model);
    EXPECT_NE(missing.not_configured.find("ANTHROPIC_API_KEY"), std::string::npos);

    config.model_api_key_env = "MY_KEY";
    const auto present = agent_options(config, env({{"MY_KEY", "secret"}}));
    ASSERT_TRUE(present.model);
    EXPECT_EQ(present.model->api_key, "secret");
    EXPECT_EQ(present.model->provider, "anthropic");
    EXPECT_FALSE(present.model->temperature);
}

TEST(AgentConfig, ALocalServerNeedsNoKey) {
    Config config;
    config.model_provider = "openai";
    config.model_name = "qwen";
    config.model_base_url = "http://127.0.0.1:8080/v1";
    config.model_temperature = 0.2;
    config.agent_max_steps = 5;
    const auto options = agent_options(config, env({}));
    ASSERT_TRUE(options.model);
    EXPECT_EQ(options.model->api_key, "");
    EXPECT_EQ(options.model->temperature, 0.2);
    EXPECT_EQ(options.max_steps, 5);
}

TEST(AgentConfig, TheNoModelMessageSaysHowToConfigureOne) {
    const auto message = no_model_message("no model provider is set");
    for (const auto* expected : {"no model provider is set", "[model]", "provider", "api_key_env", "ANTHROPIC_API_KEY",
                                 "ATELIER_MODEL_PROVIDER", "llama-server --jinja", "Ollama", "11434/v1"}) {
        EXPECT_NE(message.find(expected), std::string::npos) << expected;
    }
}

} // namespace
} // namespace atelier::agent
