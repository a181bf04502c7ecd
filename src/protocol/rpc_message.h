// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "core/error.h"

namespace atelier::protocol {

/// A JSON-RPC id. Requests carry an integer or a string; `std::monostate` stands for `null`,
/// which appears only in an error response to a request whose id could not be read.
using RpcId = std::variant<std::monostate, std::int64_t, std::string>;

/// The id as JSON (`null`, a number or a string).
[[nodiscard]] nlohmann::json rpc_id_to_json(const RpcId& id);

/// The id as text for logs and maps: `null`, `42` or `"abc"` (strings are quoted, so the
/// integer 42 and the string "42" never collide).
[[nodiscard]] std::string rpc_id_to_string(const RpcId& id);

/// The `error` member of a response.
struct RpcError {
    int code = 0;
    std::string message;
    std::optional<nlohmann::json> data; ///< absent unless the sender adds details
};

/// A call that expects a response.
struct RpcRequest {
    RpcId id;
    std::string method;
    nlohmann::json params; ///< an object or an array; `null` when the frame had no `params`
};

/// A call that expects no response.
struct RpcNotification {
    std::string method;
    nlohmann::json params; ///< an object or an array; `null` when the frame had no `params`
};

/// The answer to a request: a result or an error, never both.
struct RpcResponse {
    RpcId id;
    std::variant<nlohmann::json, RpcError> outcome; ///< index 0: `result`, index 1: `error`

    [[nodiscard]] bool is_error() const { return outcome.index() == 1; }
    [[nodiscard]] const nlohmann::json& result() const { return std::get<0>(outcome); }
    [[nodiscard]] const RpcError& error() const { return std::get<1>(outcome); }
};

/// One JSON-RPC 2.0 message.
using RpcMessage = std::variant<RpcRequest, RpcNotification, RpcResponse>;

/// Why a frame is not a message: the JSON-RPC error to answer with, and the id of the request
/// when it could be read (so the error response can name it), else null.
struct RpcParseFailure {
    RpcError error;
    RpcId id;

    /// The same failure as a hub Error (ProtocolError).
    [[nodiscard]] Error to_error() const;
};

using RpcParseResult = tl::expected<RpcMessage, RpcParseFailure>;

/// Parses one text frame. Malformed JSON fails with -32700; valid JSON that is not a single
/// JSON-RPC 2.0 object (an array/batch, `jsonrpc` other than "2.0", an id that is not an integer
/// or string, a missing or empty method, params that are neither object nor array, a response
/// with both or neither of result/error) fails with -32600. Never throws.
[[nodiscard]] RpcParseResult parse_rpc_message(std::string_view frame);

/// The same, for an already-parsed JSON value.
[[nodiscard]] RpcParseResult parse_rpc_value(const nlohmann::json& value);

/// `{"jsonrpc":"2.0","id":…,"method":…,"params":…}`; `params` is omitted when null.
[[nodiscard]] std::string serialize_request(const RpcId& id, std::string_view method,
                                            const nlohmann::json& params = nullptr);

/// `{"jsonrpc":"2.0","method":…,"params":…}`; `params` is omitted when null.
[[nodiscard]] std::string serialize_notification(std::string_view method, const nlohmann::json& params = nullptr);

/// `{"jsonrpc":"2.0","id":…,"result":…}`.
[[nodiscard]] std::string serialize_result(const RpcId& id, const nlohmann::json& result);

/// `{"jsonrpc":"2.0","id":…,"error":{"code":…,"message":…,"data"?:…}}`.
[[nodiscard]] std::string serialize_error(const RpcId& id, const RpcError& error);

/// Any message, as its serializer above would write it.
[[nodiscard]] std::string serialize_rpc_message(const RpcMessage& message);

} // namespace atelier::protocol
