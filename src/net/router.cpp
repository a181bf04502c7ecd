// SPDX-License-Identifier: Apache-2.0
#include "net/router.h"

#include <optional>

namespace atelier::net {
namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (start <= path.size()) {
        const auto end = path.find('/', start);
        segments.emplace_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return segments;
}

bool is_parameter(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool is_rest_parameter(const std::string& segment) {
    return is_parameter(segment) && segment[segment.size() - 2] == '*';
}

std::string parameter_name(const std::string& segment) {
    return segment.substr(1, segment.size() - (is_rest_parameter(segment) ? 3 : 2));
}

std::optional<std::map<std::string, std::string>> match_segments(const std::vector<std::string>& pattern,
                                                                 std::string_view path) {
    const auto segments = split_path(path);
    std::map<std::string, std::string> params;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_rest_parameter(pattern[i])) {
            std::string rest;
            for (std::size_t j = i; j < segments.size(); ++j) {
                rest += (j == i ? "" : "/") + segments[j];
            }
            if (rest.empty()) {
                return std::nullopt;
            }
            params[parameter_name(pattern[i])] = rest;
            return params;
        }
        if (i >= segments.size()) {
            return std::nullopt;
        }
        if (is_parameter(pattern[i])) {
            if (segments[i].empty()) {
                return std::nullopt;
            }
            params[parameter_name(pattern[i])] = segments[i];
        } else if (pattern[i] != segments[i]) {
            return std::nullopt;
        }
    }
    if (segments.size() != pattern.size()) {
        return std::nullopt;
    }
    return params;
}

HttpHandler make_async(SyncHttpHandler handler) {
    return [handler = std::move(handler)](HttpRequest& request, HttpResponder responder) {
        responder.send(handler(request));
    };
}

} // namespace

HttpResponder::~HttpResponder() {
    if (m_sink) {
        m_sink->respond(HttpResponse::error(ErrorCode::Internal, "the handler finished without answering"));
    }
}

void HttpResponder::send(HttpResponse response) {
    if (auto sink = std::exchange(m_sink, nullptr)) {
        sink->respond(std::move(response));
    }
}

std::shared_ptr<SseStream> HttpResponder::start_sse(Headers extra_headers) {
    if (auto sink = std::exchange(m_sink, nullptr)) {
        return sink->start_sse(std::move(extra_headers));
    }
    return nullptr;
}

Router& Router::add(std::string method, std::string pattern, Access access, HttpHandler handler) {
    auto segments = split_path(pattern);
    m_routes.push_back(Route{std::move(method), std::move(pattern), access, std::move(handler), std::move(segments)});
    return *this;
}

Router& Router::add(std::string method, std::string pattern, Access access, SyncHttpHandler handler) {
    return add(std::move(method), std::move(pattern), access, make_async(std::move(handler)));
}

Router& Router::add_streamed(std::string method, std::string pattern, Access access, StreamedBody body,
                             HttpHandler handler) {
    add(std::move(method), std::move(pattern), access, std::move(handler));
    m_routes.back().streamed = std::move(body);
    return *this;
}

Router& Router::add_streamed(std::string method, std::string pattern, Access access, StreamedBody body,
                             SyncHttpHandler handler) {
    return add_streamed(std::move(method), std::move(pattern), access, std::move(body), make_async(std::move(handler)));
}

Router& Router::websocket(std::string path, Access access, std::shared_ptr<WebSocketHandler> handler) {
    m_websocket_routes.push_back(WebSocketRoute{std::move(path), access, std::move(handler)});
    return *this;
}

Router& Router::proxy(std::string prefix, Access access, ProxyResolver resolve) {
    m_proxy_routes.push_back(ProxyRoute{std::move(prefix), access, std::move(resolve)});
    return *this;
}

Router& Router::forward(ForwardResolver resolve, std::string via) {
    m_forward = std::move(resolve);
    m_forward_via = std::move(via);
    return *this;
}

Router& Router::fallback(Access access, SyncHttpHandler handler) {
    m_fallback = Route{"GET", "(static)", access, make_async(std::move(handler)), {}};
    return *this;
}

Result<Router::Match> Router::match(std::string_view method, std::string_view path) const {
    std::string allowed;
    for (const auto& route : m_routes) {
        auto params = match_segments(route.segments, path);
        if (!params) {
            continue;
        }
        if (route.method == method || (method == "HEAD" && route.method == "GET")) {
            return Match{&route, std::move(*params)};
        }
        allowed += (allowed.empty() ? "" : ", ") + route.method;
    }
    if (!allowed.empty()) {
        return fail(ErrorCode::MethodNotAllowed, "allowed: " + allowed);
    }
    // The API, the WebSocket and MCP namespaces never fall back to the web app.
    const bool reserved = path.starts_with("/api/") || path == "/api" || path.starts_with("/ws/") ||
                          path.starts_with("/mcp") || path == "/metrics";
    if (m_fallback && !reserved && (method == "GET" || method == "HEAD")) {
        return Match{&*m_fallback, {}};
    }
    return fail(ErrorCode::NotFound, "no route for " + std::string(method) + " " + std::string(path));
}

const WebSocketRoute* Router::match_websocket(std::string_view path) const {
    for (const auto& route : m_websocket_routes) {
        if (route.path == path) {
            return &route;
        }
    }
    return nullptr;
}

const ProxyRoute* Router::match_proxy(std::string_view path) const {
    for (const auto& route : m_proxy_routes) {
        if (path.starts_with(route.prefix)) {
            return &route;
        }
    }
    return nullptr;
}

} // namespace atelier::net
