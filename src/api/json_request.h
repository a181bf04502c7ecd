// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/result.h"
#include "net/http_types.h"
#include "store/records.h"

namespace atelier::api {

/// The longest project or user name accepted, in bytes.
inline constexpr std::size_t kMaxNameLength = 200;
/// The longest token label accepted, in bytes.
inline constexpr std::size_t kMaxLabelLength = 200;

/// Parses a request body that must be one JSON object whose keys are all in `allowed`.
/// InvalidArgument naming the problem: malformed JSON, not an object, an unknown field.
[[nodiscard]] Result<nlohmann::json> parse_object(std::string_view body,
                                                  std::initializer_list<std::string_view> allowed);

/// Checks that `object` is a JSON object whose keys are all in `allowed` (parse_object's checks,
/// for a body that arrived as JSON already, e.g. an MCP tool's arguments).
[[nodiscard]] Result<void> check_object(const nlohmann::json& object, std::initializer_list<std::string_view> allowed);

/// The string field `field` of `object`: InvalidArgument (naming the field) when it is missing and
/// `required`, not a string, empty, or longer than `max_length` bytes. Nothing when it is absent
/// and optional.
enum class Presence { Required, Optional };
[[nodiscard]] Result<std::optional<std::string>> string_field(const nlohmann::json& object, std::string_view field,
                                                              Presence presence, std::size_t max_length);

/// `?limit=&cursor=` as a page request; InvalidArgument naming `limit` when it is not an integer
/// in 1..kMaxPageLimit.
[[nodiscard]] Result<store::PageRequest> page_request(const net::HttpRequest& request);
/// The same from `{limit?, cursor?}` fields of a JSON object (an integer or its text for limit).
[[nodiscard]] Result<store::PageRequest> page_request(const nlohmann::json& fields);

/// The JSON error response for `error` (status from the error code).
[[nodiscard]] net::HttpResponse error_response(const Error& error);

/// The response itself, or the error response for the error.
[[nodiscard]] net::HttpResponse respond(Result<net::HttpResponse> result);

/// A JSON response with `body` serialised.
[[nodiscard]] net::HttpResponse json_response(int status, const nlohmann::json& body);

} // namespace atelier::api
