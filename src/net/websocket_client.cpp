// SPDX-License-Identifier: Apache-2.0
#include "net/websocket_client.h"

#include <optional>

#include <fmt/format.h>

#include "net/beast.h"
#include "net/http_client.h"

namespace atelier::net {

using namespace detail;

struct WebSocketClient::Impl {
    asio::io_context io;
    websocket::stream<tcp::socket> socket{io};
    beast::flat_buffer buffer;
    bool reading = false; ///< an async_read is pending (left over from a timed-out read)
    std::optional<beast::error_code> read_result;

    // Runs the io_context until `done` or `timeout`; false on timeout.
    template <class Done> bool run_until(Done done, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        io.restart();
        while (!done()) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                return false;
            }
            if (io.run_one_for(deadline - now) == 0 && io.stopped()) {
                io.restart();
            }
        }
        return true;
    }
};

WebSocketClient::WebSocketClient(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

WebSocketClient::~WebSocketClient() {
    beast::error_code ignored;
    m_impl->socket.next_layer().close(ignored);
}

Result<std::unique_ptr<WebSocketClient>>
WebSocketClient::connect(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                         std::chrono::milliseconds timeout) {
    const auto parsed = ATELIER_TRY(Url::parse(url));
    if (parsed.is_https()) {
        return fail(ErrorCode::InvalidArgument, "only http:// hubs can be reached over WebSocket here: " + url);
    }
    auto impl = std::make_unique<Impl>();
    std::optional<beast::error_code> step;
    tcp::resolver resolver(impl->io);
    beast::error_code error;
    const auto endpoints = resolver.resolve(parsed.host, std::to_string(parsed.port), error);
    if (error) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot resolve {}: {}", parsed.host, error.message()));
    }
    asio::async_connect(impl->socket.next_layer(), endpoints,
                        [&step](beast::error_code code, const tcp::endpoint&) { step = code; });
    if (!impl->run_until([&step] { return step.has_value(); }, timeout)) {
        return fail(ErrorCode::Timeout, "connecting to " + url + " timed out");
    }
    if (*step) {
        return fail(ErrorCode::Unavailable, fmt::format("cannot connect to {}: {}", url, step->message()));
    }
    impl->socket.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
        for (const auto& [name, value] : headers) {
            request.set(name, value);
        }
    }));
    websocket::response_type response;
    step.reset();
    impl->socket.async_handshake(response, fmt::format("{}:{}", parsed.host, parsed.port), parsed.target,
                                 [&step](beast::error_code code) { step = code; });
    if (!impl->run_until([&step] { return step.has_value(); }, timeout)) {
        return fail(ErrorCode::Timeout, "the WebSocket upgrade at " + url + " timed out");
    }
    if (*step) {
        return fail(ErrorCode::Unavailable, fmt::format("the hub refused the WebSocket at {} (HTTP {}): {}", url,
                                                        response.result_int(), step->message()));
    }
    impl->socket.read_message_max(64 * 1024 * 1024);
    return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(impl)));
}

Result<void> WebSocketClient::send(std::string_view text) {
    beast::error_code error;
    m_impl->socket.text(true);
    m_impl->socket.write(asio::buffer(text.data(), text.size()), error);
    if (error) {
        return fail(ErrorCode::Unavailable, "sending to the hub failed: " + error.message());
    }
    return {};
}

Result<std::string> WebSocketClient::read(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (!m_impl->reading) {
            m_impl->reading = true;
            m_impl->read_result.reset();
            m_impl->socket.async_read(m_impl->buffer, [impl = m_impl.get()](beast::error_code code, std::size_t) {
                impl->read_result = code;
            });
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !m_impl->run_until([this] { return m_impl->read_result.has_value(); }, left)) {
            return fail(ErrorCode::Timeout, "nothing from the hub in time"); // the read stays pending
        }
        m_impl->reading = false;
        if (*m_impl->read_result) {
            return fail(ErrorCode::Unavailable, "the hub connection closed: " + m_impl->read_result->message());
        }
        const bool text = m_impl->socket.got_text();
        std::string message = beast::buffers_to_string(m_impl->buffer.data());
        m_impl->buffer.consume(m_impl->buffer.size());
        if (text) {
            return message;
        }
    }
}

void WebSocketClient::close() {
    beast::error_code ignored;
    m_impl->socket.next_layer().close(ignored);
}

} // namespace atelier::net
