// SPDX-License-Identifier: Apache-2.0
// OpenAI-compatible Chat Completions (POST <base>/chat/completions, "stream": true): `tools` of
// type function, assistant `tool_calls`, `role: tool` results, and a stream of
// chat.completion.chunk objects ending with `data: [DONE]`. Tool calls arrive as deltas keyed by
// `index`; some servers (older llama.cpp) put every call at index 0, so a new `id` at a known
// index starts a new call. No `tool_choice` is sent: Ollama's /v1 refuses it.

#include <map>

#include <fmt/format.h>

#include "agent/wire_format.h"

namespace atelier::agent {
namespace {

std::string data_url(const Block& image) {
    return fmt::format("data:{};base64,{}", image.media_type, image.data);
}

// Text of a message or of a tool result's content; images are counted, not inlined.
std::string text_of(const std::vector<Block>& blocks) {
    std::string text;
    for (const auto& block : blocks) {
        if (block.kind == Block::Kind::Text) {
            text += (text.empty() ? "" : "\n") + block.text;
        } else if (block.kind == Block::Kind::Image) {
            text += (text.empty() ? "" : "\n") + std::string("[image attached below]");
        }
    }
    return text;
}

void append_messages(const Message& message, nlohmann::json& out) {
    if (message.role == Role::Assistant) {
        nlohmann::json json{{"role", "assistant"}};
        const auto text = message.text();
        json["content"] = text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
        nlohmann::json calls = nlohmann::json::array();
        for (const auto* use : message.tool_uses()) {
            calls.push_back({{"id", use->tool_id},
                             {"type", "function"},
                             {"function",
                              {{"name", use->tool_name},
                               {"arguments", use->raw_input.empty() ? use->input.dump() : use->raw_input}}}});
        }
        if (!calls.empty()) {
            json["tool_calls"] = std::move(calls);
        }
        if (json["content"].is_null() && calls.empty() && !json.contains("tool_calls")) {
            json["content"] = "";
        }
        out.push_back(std::move(json));
        return;
    }
    // A user message: tool results become `role: tool` messages; images (the user's or a tool's)
    // go in one user message after them, since tool messages carry text only.
    nlohmann::json parts = nlohmann::json::array();
    std::string user_text;
    bool any_result = false;
    for (const auto& block : message.content) {
        if (block.kind == Block::Kind::ToolResult) {
            any_result = true;
            auto text = text_of(block.content);
            if (block.is_error) {
                text = "ERROR: " + text;
            }
            out.push_back({{"role", "tool"}, {"tool_call_id", block.tool_id}, {"content", text}});
            for (const auto& inner : block.content) {
                if (inner.kind == Block::Kind::Image) {
                    parts.push_back(
                        {{"type", "text"}, {"text", fmt::format("Image returned by {}:", block.tool_name)}});
                    parts.push_back({{"type", "image_url"}, {"image_url", {{"url", data_url(inner)}}}});
                }
            }
        } else if (block.kind == Block::Kind::Text) {
            user_text += (user_text.empty() ? "" : "\n") + block.text;
        } else if (block.kind == Block::Kind::Image) {
            parts.push_back({{"type", "image_url"}, {"image_url", {{"url", data_url(block)}}}});
        }
    }
    if (parts.empty()) {
        if (!user_text.empty() || !any_result) {
            out.push_back({{"role", "user"}, {"content", user_text}});
        }
        return;
    }
    if (!user_text.empty()) {
        // One object: a braced list here would insert its two pairs as two arrays.
        parts.insert(parts.begin(), nlohmann::json{{"type", "text"}, {"text", user_text}});
    }
    out.push_back({{"role", "user"}, {"content", std::move(parts)}});
}

ModelFailure malformed(const std::string& what) {
    return ModelFailure{Error{ErrorCode::ProtocolError, "the model's stream was malformed: " + what}, true, 0, {}};
}

class OpenAiDecoder final : public StreamDecoder {
public:
    explicit OpenAiDecoder(std::function<void(std::string_view)> on_text) : m_on_text(std::move(on_text)) {}

    ModelResult<void> on_event(const SseEvent& event) override {
        if (event.data == "[DONE]") {
            m_done = true;
            return {};
        }
        auto chunk = nlohmann::json::parse(event.data, nullptr, false);
        if (chunk.is_discarded() || !chunk.is_object()) {
            return tl::unexpected(malformed("a chunk is not a JSON object"));
        }
        if (chunk.contains("error")) {
            const auto& error = chunk["error"];
            const std::string message = error.is_object()   ? error.value("message", error.dump())
                                        : error.is_string() ? error.get<std::string>()
                                                            : error.dump();
            const std::string type = error.is_object() && error.contains("type") && error["type"].is_string()
                                         ? error["type"].get<std::string>()
                                         : "";
            // A request the server refuses stays refused; anything else (overload, server error) may pass.
            const bool retryable = type != "invalid_request_error" && type != "authentication_error";
            return tl::unexpected(ModelFailure{
                Error{ErrorCode::Unavailable, type.empty() ? message : fmt::format("{}: {}", type, message)},
                retryable,
                0,
                {}});
        }
        if (chunk.contains("usage") && chunk["usage"].is_object()) {
            // prompt_tokens counts every prompt token; the cached part is in prompt_tokens_details.
            const auto& usage = chunk["usage"];
            m_reply.usage.input_tokens = usage.value("prompt_tokens", m_reply.usage.input_tokens);
            m_reply.usage.output_tokens = usage.value("completion_tokens", m_reply.usage.output_tokens);
            if (usage.contains("prompt_tokens_details") && usage["prompt_tokens_details"].is_object()) {
                const auto& details = usage["prompt_tokens_details"];
                if (details.contains("cached_tokens") && details["cached_tokens"].is_number_integer()) {
                    m_reply.usage.cached_input_tokens = details["cached_tokens"].get<std::int64_t>();
                }
            }
        }
        const auto choices = chunk.value("choices", nlohmann::json::array());
        if (!choices.is_array() || choices.empty()) {
            return {};
        }
        const auto& choice = choices[0];
        if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
            m_reply.stop_reason = choice["finish_reason"].get<std::string>();
        }
        const auto delta = choice.value("delta", nlohmann::json::object());
        if (delta.contains("content") && delta["content"].is_string()) {
            const auto text = delta["content"].get<std::string>();
            if (!text.empty()) {
                m_text += text;
                m_on_text(text);
            }
        }
        if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
            for (const auto& call : delta["tool_calls"]) {
                if (!call.is_object()) {
                    return tl::unexpected(malformed("a tool_calls entry is not an object"));
                }
                const int index = call.value("index", 0);
                const std::string id =
                    call.contains("id") && call["id"].is_string() ? call["id"].get<std::string>() : "";
                auto it = m_by_index.find(index);
                if (it == m_by_index.end() ||
                    (!id.empty() && !m_calls[it->second].id.empty() && m_calls[it->second].id != id)) {
                    m_calls.push_back({});
                    it = m_by_index.insert_or_assign(index, m_calls.size() - 1).first;
                }
                auto& pending = m_calls[it->second];
                if (!id.empty()) {
                    pending.id = id;
                }
                const auto function = call.value("function", nlohmann::json::object());
                if (function.contains("name") && function["name"].is_string()) {
                    pending.name += function["name"].get<std::string>();
                }
                if (function.contains("arguments") && function["arguments"].is_string()) {
                    pending.arguments += function["arguments"].get<std::string>();
                }
            }
        }
        return {};
    }

    bool done() const override { return m_done; }

    ModelResult<ModelReply> finish() override {
        if (!m_done && m_reply.stop_reason.empty()) {
            return tl::unexpected(
                ModelFailure{Error{ErrorCode::Unavailable, "the model's stream ended before a finish_reason or [DONE]"},
                             true,
                             0,
                             {}});
        }
        if (!m_text.empty()) {
            m_reply.message.content.push_back(Block::text_block(m_text));
        }
        int generated = 0;
        for (auto& call : m_calls) {
            auto block = Block::tool_use(call.id.empty() ? fmt::format("call_{}", ++generated) : call.id, call.name,
                                         nlohmann::json::object());
            if (!call.arguments.empty()) {
                auto parsed = nlohmann::json::parse(call.arguments, nullptr, false);
                if (parsed.is_discarded() || !parsed.is_object()) {
                    block.raw_input = call.arguments;
                } else {
                    block.input = std::move(parsed);
                }
            }
            m_reply.message.content.push_back(std::move(block));
        }
        return std::move(m_reply);
    }

private:
    struct PendingCall {
        std::string id;
        std::string name;
        std::string arguments;
    };
    std::function<void(std::string_view)> m_on_text;
    std::string m_text;
    std::vector<PendingCall> m_calls;
    std::map<int, std::size_t> m_by_index; ///< index → the newest call at that index
    ModelReply m_reply;
    bool m_done = false;
};

class OpenAiFormat final : public WireFormat {
public:
    std::string_view name() const override { return "openai"; }

    net::ClientRequest build(const ModelSettings& settings, const ModelRequest& request) const override {
        std::string base = settings.base_url.empty() ? "https://api.openai.com/v1" : settings.base_url;
        while (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        net::ClientRequest http;
        http.url = base + "/chat/completions";
        http.headers = {{"content-type", "application/json"}, {"accept", "text/event-stream"}};
        if (!settings.api_key.empty()) {
            http.headers.emplace_back("authorization", "Bearer " + settings.api_key);
        }
        // Written in the order of the prompt (tools, system, messages) so that the requests of
        // one turn share a byte-identical prefix up to the previous step's context, which is
        // what automatic prefix caching matches.
        nlohmann::ordered_json body;
        body["model"] = settings.model;
        body["max_tokens"] = settings.max_tokens;
        body["stream"] = true;
        body["stream_options"] = {{"include_usage", true}};
        if (settings.temperature) {
            body["temperature"] = *settings.temperature;
        }
        if (!request.tools.empty()) {
            nlohmann::json tools = nlohmann::json::array();
            for (const auto& tool : request.tools) {
                tools.push_back(
                    {{"type", "function"},
                     {"function",
                      {{"name", tool.name}, {"description", tool.description}, {"parameters", tool.input_schema}}}});
            }
            body["tools"] = std::move(tools);
        }
        nlohmann::json messages = nlohmann::json::array();
        if (!request.system.empty()) {
            messages.push_back({{"role", "system"}, {"content", request.system}});
        }
        // The context goes in the last user message (after its tool results), never as a second
        // user message in a row: some local servers' chat templates refuse that.
        Transcript transcript = request.messages;
        if (!request.context.empty()) {
            if (!transcript.empty() && transcript.back().role == Role::User) {
                transcript.back().content.push_back(Block::text_block(request.context));
            } else {
                transcript.push_back({Role::User, {Block::text_block(request.context)}});
            }
        }
        for (const auto& message : transcript) {
            append_messages(message, messages);
        }
        body["messages"] = std::move(messages);
        http.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return http;
    }

    std::unique_ptr<StreamDecoder> decoder(std::function<void(std::string_view)> on_text) const override {
        return std::make_unique<OpenAiDecoder>(std::move(on_text));
    }
};

} // namespace

std::unique_ptr<WireFormat> make_openai_format() {
    return std::make_unique<OpenAiFormat>();
}

std::unique_ptr<WireFormat> make_wire_format(std::string_view provider) {
    if (provider == "anthropic") {
        return make_anthropic_format();
    }
    if (provider == "openai") {
        return make_openai_format();
    }
    return nullptr;
}

std::string provider_error_message(std::string_view body) {
    auto json = nlohmann::json::parse(body, nullptr, false);
    std::string message;
    if (json.is_object() && json.contains("error")) {
        const auto& error = json["error"];
        if (error.is_object() && error.contains("message") && error["message"].is_string()) {
            message = error["message"].get<std::string>();
        } else if (error.is_string()) {
            message = error.get<std::string>();
        }
    }
    if (message.empty()) {
        message = std::string(body);
    }
    constexpr std::size_t kLimit = 600;
    if (message.size() > kLimit) {
        message = message.substr(0, kLimit) + "…";
    }
    return message;
}

} // namespace atelier::agent
