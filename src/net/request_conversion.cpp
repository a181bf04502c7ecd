// SPDX-License-Identifier: Apache-2.0
#include "net/request_conversion.h"

namespace atelier::net {

HttpRequest to_request(const boost::beast::http::request_header<>& header, std::string remote) {
    HttpRequest request;
    request.method = std::string(header.method_string());
    request.target = std::string(header.target());
    for (const auto& field : header) {
        request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.remote_address = std::move(remote);
    return request;
}

HttpRequest to_request(const boost::beast::http::request<boost::beast::http::string_body>& message,
                       std::string remote) {
    HttpRequest request =
        to_request(static_cast<const boost::beast::http::request_header<>&>(message), std::move(remote));
    request.body = message.body();
    return request;
}

} // namespace atelier::net
