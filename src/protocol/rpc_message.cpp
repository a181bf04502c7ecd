// SPDX-License-Identifier: Apache-2.0
#include "protocol/rpc_message.h"

#include <limits>
#include <utility>

#include "protocol/rpc_codes.h"

namespace atelier::protocol {
namespace {

using Json = nlohmann::json;

RpcParseFailure invalid(std::string message, RpcId id = {}) {
    return RpcParseFailure{RpcError{rpc_code::kInvalidRequest, std::move(message), std::nullopt}, std::move(id)};
}

// Reads the id member. Fractional numbers, booleans, objects and arrays are not ids.
tl::expected<RpcId, RpcParseFailure> read_id(const Json& value) {
    if (value.is_null()) {
        return RpcId{};
    }
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        // Such ids cannot round-trip through int64; refuse them rather than wrap.
        return tl::unexpected(invalid("'id' is out of range"));
    }
    if (value.is_number_integer()) {
        return RpcId{value.get<std::int64_t>()};
    }
    if (value.is_string()) {
        return RpcId{value.get<std::string>()};
    }
    return tl::unexpected(invalid("'id' must be a string or an integer, not " + std::string(value.type_name())));
}

tl::expected<Json, RpcParseFailure> read_params(const Json& object, const RpcId& id) {
    auto it = object.find("params");
    if (it == object.end()) {
        return Json(nullptr);
    }
    if (!it->is_object() && !it->is_array()) {
        return tl::unexpected(invalid("'params' must be an object or an array", id));
    }
    return *it;
}

tl::expected<RpcError, RpcParseFailure> read_error_object(const Json& value, const RpcId& id) {
    if (!value.is_object()) {
        return tl::unexpected(invalid("'error' must be an object", id));
    }
    auto code = value.find("code");
    if (code == value.end() || !code->is_number_integer()) {
        return tl::unexpected(invalid("'error.code' must be an integer", id));
    }
    auto message = value.find("message");
    if (message == value.end() || !message->is_string()) {
        return tl::unexpected(invalid("'error.message' must be a string", id));
    }
    RpcError error{code->get<int>(), message->get<std::string>(), std::nullopt};
    if (auto data = value.find("data"); data != value.end()) {
        error.data = *data;
    }
    return error;
}

Json envelope() {
    return Json{{"jsonrpc", "2.0"}};
}

std::string dump(const Json& value) {
    // Replacing invalid UTF-8 keeps dump() from throwing on bytes a tool put into a string.
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace

Json rpc_id_to_json(const RpcId& id) {
    if (const auto* number = std::get_if<std::int64_t>(&id)) {
        return *number;
    }
    if (const auto* text = std::get_if<std::string>(&id)) {
        return *text;
    }
    return nullptr;
}

std::string rpc_id_to_string(const RpcId& id) {
    return dump(rpc_id_to_json(id));
}

Error RpcParseFailure::to_error() const {
    return Error{ErrorCode::ProtocolError, std::string(rpc_code_name(error.code)) + ": " + error.message};
}

RpcParseResult parse_rpc_message(std::string_view frame) {
    Json value = Json::parse(frame, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        return tl::unexpected(
            RpcParseFailure{RpcError{rpc_code::kParseError, "the frame is not valid JSON", std::nullopt}, {}});
    }
    return parse_rpc_value(value);
}

RpcParseResult parse_rpc_value(const Json& value) {
    if (value.is_array()) {
        return tl::unexpected(invalid("batches (JSON arrays) are not supported; send one message per frame"));
    }
    if (!value.is_object()) {
        return tl::unexpected(invalid("a message must be a JSON object, not " + std::string(value.type_name())));
    }

    // Read the id first, so that every later failure can name the request it answers.
    RpcId id;
    auto id_member = value.find("id");
    const bool has_id = id_member != value.end();
    if (has_id) {
        auto read = read_id(*id_member);
        if (!read) {
            return tl::unexpected(std::move(read).error());
        }
        id = std::move(*read);
    }

    auto version = value.find("jsonrpc");
    if (version == value.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0") {
        return tl::unexpected(invalid("'jsonrpc' must be the string \"2.0\"", id));
    }

    auto method = value.find("method");
    const bool has_result = value.contains("result");
    const bool has_error = value.contains("error");

    if (method == value.end()) {
        if (!has_result && !has_error) {
            return tl::unexpected(invalid("missing 'method' (or 'result'/'error' for a response)", id));
        }
        if (has_result && has_error) {
            return tl::unexpected(invalid("a response must not carry both 'result' and 'error'", id));
        }
        if (!has_id) {
            return tl::unexpected(invalid("a response must carry an 'id'", id));
        }
        if (has_result) {
            return RpcResponse{std::move(id), value.at("result")};
        }
        auto error = read_error_object(value.at("error"), id);
        if (!error) {
            return tl::unexpected(std::move(error).error());
        }
        return RpcResponse{std::move(id), std::move(*error)};
    }

    if (!method->is_string() || method->get_ref<const std::string&>().empty()) {
        return tl::unexpected(invalid("'method' must be a non-empty string", id));
    }
    if (has_result || has_error) {
        return tl::unexpected(invalid("a request must not carry 'result' or 'error'", id));
    }
    auto params = read_params(value, id);
    if (!params) {
        return tl::unexpected(std::move(params).error());
    }
    if (!has_id) {
        return RpcNotification{method->get<std::string>(), std::move(*params)};
    }
    if (std::holds_alternative<std::monostate>(id)) {
        return tl::unexpected(invalid("a request's 'id' must be a string or an integer, not null"));
    }
    return RpcRequest{std::move(id), method->get<std::string>(), std::move(*params)};
}

std::string serialize_request(const RpcId& id, std::string_view method, const Json& params) {
    Json message = envelope();
    message["id"] = rpc_id_to_json(id);
    message["method"] = method;
    if (!params.is_null()) {
        message["params"] = params;
    }
    return dump(message);
}

std::string serialize_notification(std::string_view method, const Json& params) {
    Json message = envelope();
    message["method"] = method;
    if (!params.is_null()) {
        message["params"] = params;
    }
    return dump(message);
}

std::string serialize_result(const RpcId& id, const Json& result) {
    Json message = envelope();
    message["id"] = rpc_id_to_json(id);
    message["result"] = result;
    return dump(message);
}

std::string serialize_error(const RpcId& id, const RpcError& error) {
    Json body{{"code", error.code}, {"message", error.message}};
    if (error.data) {
        body["data"] = *error.data;
    }
    Json message = envelope();
    message["id"] = rpc_id_to_json(id);
    message["error"] = std::move(body);
    return dump(message);
}

std::string serialize_rpc_message(const RpcMessage& message) {
    if (const auto* request = std::get_if<RpcRequest>(&message)) {
        return serialize_request(request->id, request->method, request->params);
    }
    if (const auto* notification = std::get_if<RpcNotification>(&message)) {
        return serialize_notification(notification->method, notification->params);
    }
    const auto& response = std::get<RpcResponse>(message);
    return response.is_error() ? serialize_error(response.id, response.error())
                               : serialize_result(response.id, response.result());
}

} // namespace atelier::protocol
