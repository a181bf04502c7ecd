// SPDX-License-Identifier: Apache-2.0
#include "agent/agent_config.h"

#include <fmt/format.h>

namespace atelier::agent {

AgentOptions agent_options(const Config& config, const EnvironmentLookup& environment) {
    AgentOptions options;
    options.retry.max_retries = static_cast<int>(config.model_retries);
    options.model_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(config.model_timeout_s * 1000));
    options.max_steps = static_cast<int>(config.agent_max_steps);
    options.tool_retry_budget = static_cast<int>(config.agent_tool_retries);
    options.context_chars = static_cast<std::size_t>(config.agent_context_tokens) * 4;
    if (config.model_provider == "none" || config.model_provider.empty()) {
        options.not_configured = "no model provider is set";
        return options;
    }
    if (config.model_name.empty()) {
        options.not_configured =
            fmt::format("model.provider is {} but model.model (the model's name) is empty", config.model_provider);
        return options;
    }
    const std::string key_variable = !config.model_api_key_env.empty()      ? config.model_api_key_env
                                     : config.model_provider == "anthropic" ? "ANTHROPIC_API_KEY"
                                                                            : "OPENAI_API_KEY";
    const auto key = environment(key_variable);
    if ((!key || key->empty()) && config.model_base_url.empty()) {
        options.not_configured =
            fmt::format("the API key variable {} is not set in the hub's environment", key_variable);
        return options;
    }
    ModelSettings settings;
    settings.provider = config.model_provider;
    settings.model = config.model_name;
    settings.base_url = config.model_base_url;
    settings.api_key = key.value_or("");
    settings.max_tokens = static_cast<int>(config.model_max_tokens);
    settings.timeout = options.model_timeout;
    if (config.model_temperature >= 0) {
        settings.temperature = config.model_temperature;
    }
    options.model = std::move(settings);
    return options;
}

std::string no_model_message(const std::string& reason) {
    return fmt::format(
        "no model is configured{}{}, so natural-language turns are off; direct tool commands, forms and history "
        "still work. To turn the agent on, set [model] in the hub's config file — provider = \"anthropic\" or "
        "\"openai\", model, and api_key_env naming the environment variable with the key (default "
        "ANTHROPIC_API_KEY or OPENAI_API_KEY) — or the variables ATELIER_MODEL_PROVIDER, ATELIER_MODEL, "
        "ATELIER_MODEL_BASE_URL, ATELIER_MODEL_API_KEY_ENV, then restart the hub. A local model needs no key: "
        "run `llama-server --jinja -m model.gguf --port 8080` and set provider = \"openai\", base_url = "
        "\"http://127.0.0.1:8080/v1\", model = \"local\"; or with Ollama, provider = \"openai\", base_url = "
        "\"http://127.0.0.1:11434/v1\", model = \"qwen2.5:7b\".",
        reason.empty() ? "" : ": ", reason);
}

} // namespace atelier::agent
