// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "agent/sse_parser.h"
#include "agent/transcript.h"
#include "core/result.h"
#include "net/http_client.h"

namespace atelier::agent {

/// A tool as offered to the model.
struct ToolDefinition {
    std::string name; ///< provider-safe (`^[a-zA-Z0-9_-]{1,64}$`)
    std::string description;
    nlohmann::json input_schema = nlohmann::json::object();
};

/// `[model]` in the config, with the API key already read from its environment variable.
struct ModelSettings {
    std::string provider; ///< "anthropic" or "openai"
    std::string model;
    std::string base_url; ///< empty: the provider's public API
    std::string api_key;  ///< may be empty (local servers)
    int max_tokens = 4096;
    std::optional<double> temperature;
    std::chrono::milliseconds timeout{300'000}; ///< longest silence of a reply stream
};

/// One model request, laid out for prompt caching (DESIGN §6): the tools and the static
/// system prompt first, then the transcript, then `context`, what changes from step to step
/// (the scene summary). The formats send `context` as the last text of the last user message,
/// so every step of a turn repeats the previous step's request up to where its context was,
/// byte for byte, and a provider's prefix cache serves all of it.
struct ModelRequest {
    std::string system;
    Transcript messages;
    std::vector<ToolDefinition> tools;
    std::string context;
};

/// One finished assistant message.
struct ModelReply {
    Message message{Role::Assistant, {}};
    std::string stop_reason; ///< "end_turn"/"tool_use" (Anthropic), "stop"/"tool_calls" (OpenAI), ...
    Usage usage;
};

/// Why a model request failed, and whether trying again may help (DESIGN §6: 408/409/429/5xx/529
/// and connection errors may, 400/401/403/404/413 never do).
struct ModelFailure {
    Error error;
    bool retryable = false;
    int status = 0; ///< the HTTP status; 0 for connection errors and errors inside a 200 stream
    std::optional<std::chrono::milliseconds> retry_after;
};

template <class T> using ModelResult = tl::expected<T, ModelFailure>;

/// Decodes one streamed reply, event by event. Pure: no I/O.
class StreamDecoder {
public:
    virtual ~StreamDecoder() = default;
    /// One SSE event. An error event, or data that is not what the format promises, fails.
    [[nodiscard]] virtual ModelResult<void> on_event(const SseEvent& event) = 0;
    /// True once the event that ends the reply arrived (`message_stop`, `[DONE]`).
    [[nodiscard]] virtual bool done() const = 0;
    /// The whole reply; fails when the stream ended before the reply did.
    [[nodiscard]] virtual ModelResult<ModelReply> finish() = 0;
};

/// One provider's wire protocol: how a request is written and how its stream is read.
class WireFormat {
public:
    virtual ~WireFormat() = default;
    [[nodiscard]] virtual std::string_view name() const = 0;
    /// The streaming HTTP request for `request`.
    [[nodiscard]] virtual net::ClientRequest build(const ModelSettings& settings,
                                                   const ModelRequest& request) const = 0;
    /// A decoder for one reply; `on_text` gets each text delta as it arrives.
    [[nodiscard]] virtual std::unique_ptr<StreamDecoder>
    decoder(std::function<void(std::string_view)> on_text) const = 0;
};

/// The Anthropic Messages API.
[[nodiscard]] std::unique_ptr<WireFormat> make_anthropic_format();
/// OpenAI-compatible Chat Completions (OpenAI, llama.cpp server, Ollama /v1, vLLM).
[[nodiscard]] std::unique_ptr<WireFormat> make_openai_format();
/// "anthropic" or "openai"; null for anything else.
[[nodiscard]] std::unique_ptr<WireFormat> make_wire_format(std::string_view provider);

/// The provider's own words from an error response body (`{"error": {"message": ...}}` in both
/// formats), else the body itself, cut to a readable length.
[[nodiscard]] std::string provider_error_message(std::string_view body);

} // namespace atelier::agent
