#include "net/request_conversion.h"

namespace atelier::net {

HttpRequest to_request(const boost::beast::http::request<boost::beast::http::string_body>& message,
                       std::string remote) {
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
        request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = message.body();
    request.remote_address = std::move(remote);
    return request;
}

} // namespace atelier::net
