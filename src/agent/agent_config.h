// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "agent/agent.h"
#include "core/config.h"

namespace atelier::agent {

/// Looks up an environment variable (std::getenv in production; a map in tests).
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The agent's options from `[model]` and `[agent]`. The API key is read here from the variable
/// `model.api_key_env` names (default ANTHROPIC_API_KEY / OPENAI_API_KEY). No model when the
/// provider is "none", or when the provider's public API is used without a key (then
/// `not_configured` says which variable is missing); a local server (`base_url` set) needs no key.
[[nodiscard]] AgentOptions agent_options(const Config& config, const EnvironmentLookup& environment);

/// What `message:send` answers when no model is configured: why, which keys and variables to
/// set, and a llama.cpp / Ollama example.
[[nodiscard]] std::string no_model_message(const std::string& reason);

} // namespace atelier::agent
