// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/http_types.h"

namespace atelier::net {

/// The router's request from a parsed Beast request: method, target, every header field in
/// order and the body; `remote` is the peer address. Internal to net (and its fuzz target, which
/// feeds it what Beast's parser made of arbitrary bytes).
[[nodiscard]] HttpRequest to_request(const boost::beast::http::request<boost::beast::http::string_body>& message,
                                     std::string remote);
/// The same from a request head alone (a streamed body is not in the request).
[[nodiscard]] HttpRequest to_request(const boost::beast::http::request_header<>& header, std::string remote);

} // namespace atelier::net
