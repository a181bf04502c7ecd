// SPDX-License-Identifier: Apache-2.0
#include "agent/transcript.h"

#include <fmt/format.h>

namespace atelier::agent {
namespace {

const char* kind_name(Block::Kind kind) {
    switch (kind) {
    case Block::Kind::Text:
        return "text";
    case Block::Kind::Image:
        return "image";
    case Block::Kind::ToolUse:
        return "tool_use";
    case Block::Kind::ToolResult:
        return "tool_result";
    }
    return "text";
}

Result<Block> block_from_json(const nlohmann::json& json, const std::string& where) {
    if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
        return fail(ErrorCode::InvalidArgument, where + ": a block needs a string \"type\"");
    }
    const auto type = json["type"].get<std::string>();
    Block block;
    if (type == "text") {
        block.kind = Block::Kind::Text;
        block.text = json.value("text", "");
    } else if (type == "image") {
        block.kind = Block::Kind::Image;
        block.media_type = json.value("media_type", "image/png");
        block.data = json.value("data", "");
    } else if (type == "tool_use") {
        block.kind = Block::Kind::ToolUse;
        block.tool_id = json.value("id", "");
        block.tool_name = json.value("name", "");
        block.input = json.value("input", nlohmann::json::object());
        block.raw_input = json.value("raw_input", "");
    } else if (type == "tool_result") {
        block.kind = Block::Kind::ToolResult;
        block.tool_id = json.value("tool_use_id", "");
        block.tool_name = json.value("name", "");
        block.is_error = json.value("is_error", false);
        const auto content = json.value("content", nlohmann::json::array());
        for (std::size_t i = 0; i < content.size(); ++i) {
            block.content.push_back(ATELIER_TRY(block_from_json(content[i], fmt::format("{}/content/{}", where, i))));
        }
    } else {
        return fail(ErrorCode::InvalidArgument, fmt::format("{}: unknown block type '{}'", where, type));
    }
    return block;
}

std::size_t block_chars(const Block& block) {
    std::size_t size = block.text.size() + block.data.size() + block.raw_input.size() + block.tool_name.size();
    if (block.kind == Block::Kind::ToolUse) {
        size += block.input.dump().size();
    }
    for (const auto& inner : block.content) {
        size += block_chars(inner);
    }
    return size;
}

std::size_t total_chars(const Transcript& transcript) {
    std::size_t size = 0;
    for (const auto& message : transcript) {
        size += approximate_chars(message);
    }
    return size;
}

bool carries_tool_results(const Message& message) {
    for (const auto& block : message.content) {
        if (block.kind == Block::Kind::ToolResult) {
            return true;
        }
    }
    return false;
}

// Where the exchange that starts at or after `from` begins: a user message without tool results.
std::size_t next_exchange(const Transcript& transcript, std::size_t from) {
    for (std::size_t i = from; i < transcript.size(); ++i) {
        if (transcript[i].role == Role::User && !carries_tool_results(transcript[i])) {
            return i;
        }
    }
    return transcript.size();
}

} // namespace

Block Block::text_block(std::string text) {
    Block block;
    block.kind = Kind::Text;
    block.text = std::move(text);
    return block;
}

Block Block::image_block(std::string media_type, std::string data) {
    Block block;
    block.kind = Kind::Image;
    block.media_type = std::move(media_type);
    block.data = std::move(data);
    return block;
}

Block Block::tool_use(std::string id, std::string name, nlohmann::json input) {
    Block block;
    block.kind = Kind::ToolUse;
    block.tool_id = std::move(id);
    block.tool_name = std::move(name);
    block.input = std::move(input);
    return block;
}

Block Block::tool_result(std::string id, std::string name, std::vector<Block> content, bool is_error) {
    Block block;
    block.kind = Kind::ToolResult;
    block.tool_id = std::move(id);
    block.tool_name = std::move(name);
    block.content = std::move(content);
    block.is_error = is_error;
    return block;
}

std::string Message::text() const {
    std::string out;
    for (const auto& block : content) {
        if (block.kind == Block::Kind::Text) {
            out += block.text;
        }
    }
    return out;
}

std::vector<const Block*> Message::tool_uses() const {
    std::vector<const Block*> out;
    for (const auto& block : content) {
        if (block.kind == Block::Kind::ToolUse) {
            out.push_back(&block);
        }
    }
    return out;
}

nlohmann::json to_json(const Block& block) {
    nlohmann::json json{{"type", kind_name(block.kind)}};
    switch (block.kind) {
    case Block::Kind::Text:
        json["text"] = block.text;
        break;
    case Block::Kind::Image:
        json["media_type"] = block.media_type;
        json["data"] = block.data;
        break;
    case Block::Kind::ToolUse:
        json["id"] = block.tool_id;
        json["name"] = block.tool_name;
        json["input"] = block.input;
        if (!block.raw_input.empty()) {
            json["raw_input"] = block.raw_input;
        }
        break;
    case Block::Kind::ToolResult: {
        json["tool_use_id"] = block.tool_id;
        json["name"] = block.tool_name;
        json["is_error"] = block.is_error;
        nlohmann::json content = nlohmann::json::array();
        for (const auto& inner : block.content) {
            content.push_back(to_json(inner));
        }
        json["content"] = std::move(content);
        break;
    }
    }
    return json;
}

Usage& Usage::operator+=(const Usage& other) {
    input_tokens += other.input_tokens;
    cached_input_tokens += other.cached_input_tokens;
    cache_write_input_tokens += other.cache_write_input_tokens;
    output_tokens += other.output_tokens;
    return *this;
}

nlohmann::json to_json(const Usage& usage) {
    return {{"input_tokens", usage.input_tokens},
            {"cached_input_tokens", usage.cached_input_tokens},
            {"cache_write_input_tokens", usage.cache_write_input_tokens},
            {"output_tokens", usage.output_tokens}};
}

nlohmann::json to_json(const Message& message) {
    nlohmann::json content = nlohmann::json::array();
    for (const auto& block : message.content) {
        content.push_back(to_json(block));
    }
    nlohmann::json json{{"role", message.role == Role::User ? "user" : "assistant"}, {"content", std::move(content)}};
    if (message.usage) {
        json["usage"] = to_json(*message.usage);
    }
    return json;
}

nlohmann::json to_json(const Transcript& transcript) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& message : transcript) {
        out.push_back(to_json(message));
    }
    return out;
}

Result<Transcript> transcript_from_json(const nlohmann::json& json) {
    if (!json.is_array()) {
        return fail(ErrorCode::InvalidArgument, "a transcript is a JSON array of messages");
    }
    Transcript transcript;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const auto& item = json[i];
        const auto where = fmt::format("/{}", i);
        if (!item.is_object() || !item.contains("content") || !item["content"].is_array()) {
            return fail(ErrorCode::InvalidArgument, where + ": a message needs a \"content\" array");
        }
        const auto role = item.value("role", "");
        if (role != "user" && role != "assistant") {
            return fail(ErrorCode::InvalidArgument, where + ": role must be \"user\" or \"assistant\"");
        }
        Message message{role == "user" ? Role::User : Role::Assistant, {}};
        for (std::size_t j = 0; j < item["content"].size(); ++j) {
            message.content.push_back(
                ATELIER_TRY(block_from_json(item["content"][j], fmt::format("{}/content/{}", where, j))));
        }
        if (item.contains("usage") && item["usage"].is_object()) {
            const auto& usage = item["usage"];
            const auto count = [&usage](const char* key) {
                return usage.contains(key) && usage[key].is_number_integer() ? usage[key].get<std::int64_t>() : 0;
            };
            message.usage = Usage{count("input_tokens"), count("cached_input_tokens"),
                                  count("cache_write_input_tokens"), count("output_tokens")};
        }
        transcript.push_back(std::move(message));
    }
    return transcript;
}

std::size_t approximate_chars(const Message& message) {
    std::size_t size = 16;
    for (const auto& block : message.content) {
        size += block_chars(block);
    }
    return size;
}

Transcript trim_transcript(Transcript transcript, std::size_t budget_chars) {
    if (total_chars(transcript) <= budget_chars) {
        return transcript;
    }
    // The last exchange is what the model is working on: leave it whole.
    std::size_t last_start = 0;
    for (std::size_t i = next_exchange(transcript, 0); i < transcript.size(); i = next_exchange(transcript, i + 1)) {
        last_start = i;
    }
    // (1) Images of older tool results.
    for (std::size_t i = 0; i < last_start && total_chars(transcript) > budget_chars; ++i) {
        for (auto& block : transcript[i].content) {
            if (block.kind != Block::Kind::ToolResult) {
                continue;
            }
            for (auto& inner : block.content) {
                if (inner.kind == Block::Kind::Image) {
                    inner = Block::text_block("[an image was shown here; left out to save space]");
                }
            }
        }
    }
    // (2) Older tool results shrink to their first line.
    for (std::size_t i = 0; i < last_start && total_chars(transcript) > budget_chars; ++i) {
        for (auto& block : transcript[i].content) {
            if (block.kind != Block::Kind::ToolResult) {
                continue;
            }
            std::string text;
            for (const auto& inner : block.content) {
                text += inner.text;
            }
            const auto newline = text.find('\n');
            const auto first = text.substr(0, std::min<std::size_t>(newline, 200));
            if (first.size() < text.size()) {
                block.content = {Block::text_block(
                    fmt::format("{} [summarised: {} characters left out]", first, text.size() - first.size()))};
            }
        }
    }
    // (3) Whole exchanges from the front.
    while (total_chars(transcript) > budget_chars) {
        const auto second = next_exchange(transcript, 1);
        if (second >= transcript.size() || second > last_start) {
            break;
        }
        transcript.erase(transcript.begin(), transcript.begin() + static_cast<std::ptrdiff_t>(second));
        last_start -= second;
    }
    return transcript;
}

} // namespace atelier::agent
