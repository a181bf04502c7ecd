// SPDX-License-Identifier: Apache-2.0
// The Anthropic Messages API (POST /v1/messages, "stream": true): tools with `input_schema`,
// `tool_use` / `tool_result` blocks, images as base64 sources, and the event stream
// message_start → content_block_start/delta/stop… → message_delta → message_stop (plus `ping`,
// and `error` events that may arrive after the 200).

#include <map>
#include <optional>

#include <fmt/format.h>

#include "agent/wire_format.h"

namespace atelier::agent {
namespace {

nlohmann::json image_json(const Block& block) {
    return {{"type", "image"},
            {"source", {{"type", "base64"}, {"media_type", block.media_type}, {"data", block.data}}}};
}

nlohmann::json content_json(const std::vector<Block>& blocks) {
    nlohmann::json content = nlohmann::json::array();
    for (const auto& block : blocks) {
        switch (block.kind) {
        case Block::Kind::Text:
            if (!block.text.empty()) { // the API refuses empty text blocks
                content.push_back({{"type", "text"}, {"text", block.text}});
            }
            break;
        case Block::Kind::Image:
            content.push_back(image_json(block));
            break;
        case Block::Kind::ToolUse:
            content.push_back({{"type", "tool_use"},
                               {"id", block.tool_id},
                               {"name", block.tool_name},
                               {"input", block.input.is_object() ? block.input : nlohmann::json::object()}});
            break;
        case Block::Kind::ToolResult: {
            nlohmann::json inner = content_json(block.content);
            if (inner.empty()) {
                inner.push_back({{"type", "text"}, {"text", block.is_error ? "error" : "done"}});
            }
            content.push_back({{"type", "tool_result"},
                               {"tool_use_id", block.tool_id},
                               {"content", std::move(inner)},
                               {"is_error", block.is_error}});
            break;
        }
        }
    }
    return content;
}

bool retryable_error_type(const std::string& type) {
    // overloaded_error is the streaming form of a 529; api_error of a 500.
    return type == "overloaded_error" || type == "api_error" || type == "rate_limit_error" || type == "timeout_error";
}

ModelFailure malformed(const std::string& what) {
    return ModelFailure{Error{ErrorCode::ProtocolError, "the model's stream was malformed: " + what}, true, 0, {}};
}

class AnthropicDecoder final : public StreamDecoder {
public:
    explicit AnthropicDecoder(std::function<void(std::string_view)> on_text) : m_on_text(std::move(on_text)) {}

    ModelResult<void> on_event(const SseEvent& event) override {
        if (event.event == "ping") {
            return {};
        }
        auto data = nlohmann::json::parse(event.data, nullptr, false);
        if (data.is_discarded() || !data.is_object()) {
            return tl::unexpected(malformed(fmt::format("'{}' event data is not a JSON object", event.event)));
        }
        const std::string type = data.value("type", event.event);
        if (type == "error") {
            const auto error = data.value("error", nlohmann::json::object());
            const std::string kind = error.value("type", "error");
            const std::string message = error.value("message", "the provider reported an error");
            return tl::unexpected(ModelFailure{Error{ErrorCode::Unavailable, fmt::format("{}: {}", kind, message)},
                                               retryable_error_type(kind),
                                               0,
                                               {}});
        }
        if (type == "message_start") {
            const auto usage = data.value("message", nlohmann::json::object()).value("usage", nlohmann::json::object());
            read_input_usage(usage);
            m_reply.usage.output_tokens = count(usage, "output_tokens").value_or(0);
            return {};
        }
        if (type == "content_block_start") {
            const int index = data.value("index", -1);
            const auto block = data.value("content_block", nlohmann::json::object());
            const std::string kind = block.value("type", "");
            Pending pending;
            if (kind == "text") {
                pending.block = Block::text_block(block.value("text", ""));
                if (!pending.block.text.empty()) {
                    m_on_text(pending.block.text);
                }
            } else if (kind == "tool_use") {
                pending.block = Block::tool_use(block.value("id", ""), block.value("name", ""), nullptr);
            } else {
                pending.ignored = true; // thinking and other block kinds are not kept
            }
            m_blocks[index] = std::move(pending);
            return {};
        }
        if (type == "content_block_delta") {
            const int index = data.value("index", -1);
            const auto it = m_blocks.find(index);
            if (it == m_blocks.end()) {
                return tl::unexpected(malformed(fmt::format("a delta for block {} that never started", index)));
            }
            const auto delta = data.value("delta", nlohmann::json::object());
            const std::string kind = delta.value("type", "");
            if (kind == "text_delta") {
                const std::string text = delta.value("text", "");
                it->second.block.text += text;
                if (!text.empty()) {
                    m_on_text(text);
                }
            } else if (kind == "input_json_delta") {
                it->second.json += delta.value("partial_json", "");
            }
            return {};
        }
        if (type == "content_block_stop") {
            const int index = data.value("index", -1);
            const auto it = m_blocks.find(index);
            if (it != m_blocks.end() && it->second.block.kind == Block::Kind::ToolUse) {
                close_tool_use(it->second);
            }
            return {};
        }
        if (type == "message_delta") {
            const auto delta = data.value("delta", nlohmann::json::object());
            if (delta.contains("stop_reason") && delta["stop_reason"].is_string()) {
                m_reply.stop_reason = delta["stop_reason"].get<std::string>();
            }
            const auto usage = data.value("usage", nlohmann::json::object());
            if (const auto output = count(usage, "output_tokens")) {
                m_reply.usage.output_tokens = *output;
            }
            read_input_usage(usage); // cumulative counts, when the API repeats them here
            return {};
        }
        if (type == "message_stop") {
            m_done = true;
        }
        return {}; // unknown events are ignored, as the API's versioning policy asks
    }

    bool done() const override { return m_done; }

    ModelResult<ModelReply> finish() override {
        if (!m_done) {
            return tl::unexpected(ModelFailure{
                Error{ErrorCode::Unavailable, "the model's stream ended before message_stop"}, true, 0, {}});
        }
        for (auto& [index, pending] : m_blocks) {
            if (pending.ignored) {
                continue;
            }
            if (pending.block.kind == Block::Kind::ToolUse && pending.block.input.is_null()) {
                close_tool_use(pending);
            }
            if (pending.block.kind == Block::Kind::Text && pending.block.text.empty()) {
                continue;
            }
            m_reply.message.content.push_back(std::move(pending.block));
        }
        return std::move(m_reply);
    }

private:
    struct Pending {
        Block block;
        std::string json;
        bool ignored = false;
    };

    static std::optional<std::int64_t> count(const nlohmann::json& usage, const char* key) {
        if (usage.is_object() && usage.contains(key) && usage[key].is_number_integer()) {
            return usage[key].get<std::int64_t>();
        }
        return std::nullopt;
    }

    // `input_tokens` counts only what came after the last cache breakpoint: the prompt is that
    // plus what was written to the cache plus what was read from it.
    void read_input_usage(const nlohmann::json& usage) {
        if (const auto uncached = count(usage, "input_tokens")) {
            m_uncached = *uncached;
        }
        if (const auto written = count(usage, "cache_creation_input_tokens")) {
            m_reply.usage.cache_write_input_tokens = *written;
        }
        if (const auto read = count(usage, "cache_read_input_tokens")) {
            m_reply.usage.cached_input_tokens = *read;
        }
        m_reply.usage.input_tokens =
            m_uncached + m_reply.usage.cache_write_input_tokens + m_reply.usage.cached_input_tokens;
    }

    static void close_tool_use(Pending& pending) {
        if (!pending.block.input.is_null()) {
            return;
        }
        if (pending.json.empty()) {
            pending.block.input = nlohmann::json::object();
            return;
        }
        auto parsed = nlohmann::json::parse(pending.json, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) {
            pending.block.input = nlohmann::json::object();
            pending.block.raw_input = pending.json;
        } else {
            pending.block.input = std::move(parsed);
        }
    }

    std::function<void(std::string_view)> m_on_text;
    std::map<int, Pending> m_blocks;
    ModelReply m_reply;
    std::int64_t m_uncached = 0;
    bool m_done = false;
};

class AnthropicFormat final : public WireFormat {
public:
    std::string_view name() const override { return "anthropic"; }

    net::ClientRequest build(const ModelSettings& settings, const ModelRequest& request) const override {
        std::string base = settings.base_url.empty() ? "https://api.anthropic.com" : settings.base_url;
        while (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        net::ClientRequest http;
        http.url = base + (base.ends_with("/v1") ? "/messages" : "/v1/messages");
        http.headers = {
            {"content-type", "application/json"}, {"accept", "text/event-stream"}, {"anthropic-version", "2023-06-01"}};
        if (!settings.api_key.empty()) {
            http.headers.emplace_back("x-api-key", settings.api_key);
        }
        // The order of the prompt is tools → system → messages; the body is written in that order
        // too. Breakpoints (at most 4 per request): the last tool, the static system prompt, and
        // the last block before this step's context, whose prefix the next step repeats.
        nlohmann::ordered_json body;
        body["model"] = settings.model;
        body["max_tokens"] = settings.max_tokens;
        body["stream"] = true;
        if (settings.temperature) {
            body["temperature"] = *settings.temperature;
        }
        const nlohmann::json breakpoint{{"type", "ephemeral"}};
        if (!request.tools.empty()) {
            nlohmann::json tools = nlohmann::json::array();
            for (const auto& tool : request.tools) {
                tools.push_back(
                    {{"name", tool.name}, {"description", tool.description}, {"input_schema", tool.input_schema}});
            }
            tools.back()["cache_control"] = breakpoint;
            body["tools"] = std::move(tools);
        }
        if (!request.system.empty()) {
            body["system"] =
                nlohmann::json::array({{{"type", "text"}, {"text", request.system}, {"cache_control", breakpoint}}});
        }
        nlohmann::json messages = nlohmann::json::array();
        for (const auto& message : request.messages) {
            auto content = content_json(message.content);
            if (content.empty()) {
                content.push_back({{"type", "text"}, {"text", "(no content)"}});
            }
            messages.push_back(
                {{"role", message.role == Role::User ? "user" : "assistant"}, {"content", std::move(content)}});
        }
        if (!messages.empty()) {
            messages.back()["content"].back()["cache_control"] = breakpoint;
        }
        if (!request.context.empty()) {
            const nlohmann::json context{{"type", "text"}, {"text", request.context}};
            if (!messages.empty() && messages.back()["role"] == "user") {
                messages.back()["content"].push_back(context);
            } else {
                messages.push_back({{"role", "user"}, {"content", nlohmann::json::array({context})}});
            }
        }
        body["messages"] = std::move(messages);
        http.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return http;
    }

    std::unique_ptr<StreamDecoder> decoder(std::function<void(std::string_view)> on_text) const override {
        return std::make_unique<AnthropicDecoder>(std::move(on_text));
    }
};

} // namespace

std::unique_ptr<WireFormat> make_anthropic_format() {
    return std::make_unique<AnthropicFormat>();
}

} // namespace atelier::agent
