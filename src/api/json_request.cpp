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
    return object;
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

Result<store::PageRequest> page_request(const net::HttpRequest& request) {
    store::PageRequest page;
    if (const auto limit = request.query.find("limit"); limit != request.query.end()) {
        const std::string& text = limit->second;
        int value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > store::kMaxPageLimit) {
            return fail(ErrorCode::InvalidArgument,
                        fmt::format("parameter \"limit\" must be an integer from 1 to {}", store::kMaxPageLimit));
        }
        page.limit = value;
    }
    if (const auto cursor = request.query.find("cursor"); cursor != request.query.end()) {
        page.cursor = cursor->second;
    }
    return page;
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
