// SPDX-License-Identifier: Apache-2.0
#include "api/json_request.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace atelier::api {

Result<nlohmann::json> parse_object(std::string_view body, std::initializer_list<std::string_view> allowed) {
    // No exceptions: a malformed body is ordinary input, not an exceptional event.
    nlohmann::json object = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) {
        return fail(ErrorCode::InvalidArgument, "the request body is not valid JSON");
    }
    ATELIER_TRY(check_object(object, allowed));
    return object;
}

Result<void> check_object(const nlohmann::json& object, std::initializer_list<std::string_view> allowed) {
    if (!object.is_object()) {
        return fail(ErrorCode::InvalidArgument, "the request body must be a JSON object");
    }
    for (const auto& [key, value] : object.items()) {
        bool known = false;
        for (const auto name : allowed) {
            known = known || key == name;
        }
        if (!known) {
            return fail(ErrorCode::InvalidArgument, fmt::format("unknown field \"{}\"", key));
        }
    }
    return {};
}

Result<std::optional<std::string>> string_field(const nlohmann::json& object, std::string_view field, Presence presence,
                                                std::size_t max_length) {
    const auto found = object.find(field);
    if (found == object.end() || found->is_null()) {
        if (presence == Presence::Required) {
            return fail(ErrorCode::InvalidArgument, fmt::format("field \"{}\" is required", field));
        }
        return std::optional<std::string>();
    }
    if (!found->is_string()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("field \"{}\" must be a string", field));
    }
    std::string value = found->get<std::string>();
    if (value.empty()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("field \"{}\" must not be empty", field));
    }
    if (value.size() > max_length) {
        return fail(ErrorCode::InvalidArgument,
                    fmt::format("field \"{}\" must be at most {} characters", field, max_length));
    }
    return std::optional<std::string>(std::move(value));
}

namespace {

Result<store::PageRequest> page_from(const std::string* limit, const std::string* cursor) {
    store::PageRequest page;
    if (limit != nullptr) {
        const std::string& text = *limit;
        int value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > store::kMaxPageLimit) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("parameter \"limit\" must be an integer from 1 to {}", store::kMaxPageLimit));
        }
        page.limit = value;
    }
    if (cursor != nullptr) {
        page.cursor = *cursor;
    }
    return page;
}

} // namespace

Result<store::PageRequest> page_request(const net::HttpRequest& request) {
    const auto limit = request.query.find("limit");
    const auto cursor = request.query.find("cursor");
    return page_from(limit == request.query.end() ? nullptr : &limit->second,
                     cursor == request.query.end() ? nullptr : &cursor->second);
}

Result<store::PageRequest> page_request(const nlohmann::json& fields) {
    std::optional<std::string> limit;
    std::optional<std::string> cursor;
    if (fields.contains("limit") && !fields["limit"].is_null()) {
        limit = fields["limit"].is_string() ? fields["limit"].get<std::string>() : fields["limit"].dump();
    }
    if (fields.contains("cursor") && !fields["cursor"].is_null()) {
        if (!fields["cursor"].is_string()) {
            return fail(ErrorCode::InvalidArgument, "parameter \"cursor\" must be a string");
        }
        cursor = fields["cursor"].get<std::string>();
    }
    return page_from(limit ? &*limit : nullptr, cursor ? &*cursor : nullptr);
}

net::HttpResponse error_response(const Error& error) {
    return net::HttpResponse::error(error);
}

net::HttpResponse respond(Result<net::HttpResponse> result) {
    return result ? std::move(*result) : error_response(result.error());
}

net::HttpResponse json_response(int status, const nlohmann::json& body) {
    // Replace rather than throw on invalid UTF-8 (file names and engine output are not checked).
    return net::HttpResponse::json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

} // namespace atelier::api
