// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace atelier::agent {

/// The provider-neutral conversation (DESIGN §6): what both wire formats are built from and what
/// the store keeps per project. Messages alternate user / assistant; tool results travel in the
/// user message that follows the assistant message that asked for them.
enum class Role { User, Assistant };

/// One piece of a message.
struct Block {
    enum class Kind { Text, Image, ToolUse, ToolResult };
    Kind kind = Kind::Text;
    std::string text;       ///< Text
    std::string media_type; ///< Image: "image/png", ...
    std::string data;       ///< Image: base64
    std::string tool_id;    ///< ToolUse: the call's id; ToolResult: the id of the call it answers
    std::string tool_name;  ///< ToolUse, ToolResult
    nlohmann::json input = nlohmann::json::object(); ///< ToolUse: the arguments
    /// ToolUse: the arguments exactly as the model sent them when they were not a JSON object
    /// (the model is told so, and the text goes back to the provider unchanged).
    std::string raw_input;
    std::vector<Block> content; ///< ToolResult: text and image blocks
    bool is_error = false;      ///< ToolResult

    [[nodiscard]] static Block text_block(std::string text);
    [[nodiscard]] static Block image_block(std::string media_type, std::string data);
    [[nodiscard]] static Block tool_use(std::string id, std::string name, nlohmann::json input);
    [[nodiscard]] static Block tool_result(std::string id, std::string name, std::vector<Block> content, bool is_error);
};

/// What the provider counted for one request, or summed over a turn. `input_tokens` is every
/// prompt token, cached or not; `cached_input_tokens` the part read from the provider's prompt
/// cache (Anthropic `cache_read_input_tokens`, OpenAI `prompt_tokens_details.cached_tokens`);
/// `cache_write_input_tokens` the part written to it (Anthropic `cache_creation_input_tokens`).
struct Usage {
    std::int64_t input_tokens = 0;
    std::int64_t cached_input_tokens = 0;
    std::int64_t cache_write_input_tokens = 0;
    std::int64_t output_tokens = 0;

    Usage& operator+=(const Usage& other);
};

[[nodiscard]] nlohmann::json to_json(const Usage& usage);

struct Message {
    Role role = Role::User;
    std::vector<Block> content;
    /// On the last assistant message of a turn: what the whole turn cost. Stored with the
    /// transcript, never sent to a provider.
    std::optional<Usage> usage;

    /// The concatenated text blocks.
    [[nodiscard]] std::string text() const;
    /// The ToolUse blocks, in order.
    [[nodiscard]] std::vector<const Block*> tool_uses() const;
};

using Transcript = std::vector<Message>;

[[nodiscard]] nlohmann::json to_json(const Block& block);
[[nodiscard]] nlohmann::json to_json(const Message& message);
[[nodiscard]] nlohmann::json to_json(const Transcript& transcript);
/// Reads what to_json wrote. InvalidArgument names the first malformed element.
[[nodiscard]] Result<Transcript> transcript_from_json(const nlohmann::json& json);

/// A rough size of a message in characters (images count by their base64 length), for budgets.
[[nodiscard]] std::size_t approximate_chars(const Message& message);

/// Fits a transcript into `budget_chars` (about 4 characters per token), cheapest loss first:
/// (1) images in tool results, oldest first, become a note; (2) the longest-ago tool results
/// are summarised to their first line; (3) whole exchanges are dropped from the front, so the
/// transcript still starts with a user message that carries no tool results. The last
/// exchange is always kept.
[[nodiscard]] Transcript trim_transcript(Transcript transcript, std::size_t budget_chars);

} // namespace atelier::agent
