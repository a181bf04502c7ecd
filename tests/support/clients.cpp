// SPDX-License-Identifier: Apache-2.0
#include "clients.h"

#include <sys/socket.h>

#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace atelier::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::string lower(std::string text) {
    for (auto& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

void set_receive_timeout(tcp::socket& socket, std::chrono::milliseconds timeout) {
    // SO_RCVTIMEO of zero means "block forever": never let a nearly spent timeout become that.
    timeout = std::max(timeout, std::chrono::milliseconds(1));
    timeval value{};
    value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    value.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
}

} // namespace

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& raw_target,
                        const std::map<std::string, std::string>& headers, const std::string& body) {
    HttpResult result;
    try {
        asio::io_context io;
        tcp::socket socket(io);
        socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        set_receive_timeout(socket, std::chrono::seconds(20));
        http::request<http::string_body> request(http::string_to_verb(method), raw_target, 11);
        request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
        for (const auto& [name, value] : headers) {
            request.set(name, value);
        }
        request.body() = body;
        request.prepare_payload();
        beast::error_code write_error;
        http::write(socket, request, write_error); // a server that refuses early may reset the upload
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(1ULL << 30);
        parser.skip(method == "HEAD");
        beast::error_code error;
        http::read(socket, buffer, parser, error);
        // A blocking recv with SO_RCVTIMEO can end with EINTR when this process is signalled (the
        // fault tests run pg_ctl through std::system); the parser keeps its state, so read on.
        while (error == asio::error::interrupted) {
            error = {};
            http::read(socket, buffer, parser, error);
        }
        if (error) {
            result.error = error.message() + (write_error ? " (write: " + write_error.message() + ")" : "");
            return result;
        }
        const auto& response = parser.get();
        result.status = static_cast<int>(response.result_int());
        for (const auto& field : response) {
            auto& value = result.headers[lower(std::string(field.name_string()))];
            // Set-Cookie may come several times and cannot be joined with commas: one per line.
            value = value.empty() ? std::string(field.value()) : value + "\n" + std::string(field.value());
        }
        result.body = response.body();
    } catch (const std::exception& exception) {
        result.error = exception.what();
    }
    return result;
}

std::string raw_exchange(std::uint16_t port, const std::string& raw) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    set_receive_timeout(socket, std::chrono::seconds(20));
    beast::error_code error;
    asio::write(socket, asio::buffer(raw), error);
    std::string out;
    char buffer[4096];
    while (true) {
        const auto got = socket.read_some(asio::buffer(buffer), error);
        if (error) {
            break;
        }
        out.append(buffer, got);
    }
    return out;
}

// Reads run as one outstanding async_read whose messages queue up in `inbox`; read() runs the
// io_context until a message is there or the timeout passes. (A blocking read with SO_RCVTIMEO
// never times out: Asio's synchronous receive polls again on EAGAIN.)
struct WsClient::Impl {
    asio::io_context io;
    websocket::stream<tcp::socket> ws{io};
    beast::flat_buffer buffer;
    std::deque<WsClient::Message> inbox;
    bool reading = false;
    beast::error_code failure;

    void read_next() {
        reading = true;
        ws.async_read(buffer, [this](beast::error_code error, std::size_t) {
            if (error) {
                reading = false;
                failure = error;
                return;
            }
            inbox.push_back({ws.got_text(), beast::buffers_to_string(buffer.data())});
            buffer.clear();
            read_next();
        });
    }
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

WsClient::~WsClient() = default;

WsClient::Connect WsClient::connect(std::uint16_t port, const std::string& path,
                                    const std::map<std::string, std::string>& headers) {
    Connect result;
    auto impl = std::make_unique<Impl>();
    try {
        impl->ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        impl->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
            for (const auto& [name, value] : headers) {
                request.set(name, value);
            }
        }));
        impl->ws.read_message_max(64ULL << 20);
        websocket::response_type response;
        beast::error_code error;
        impl->ws.handshake(response, "127.0.0.1:" + std::to_string(port), path, error);
        result.status = static_cast<int>(response.result_int());
        if (error) {
            result.error = error.message();
            return result;
        }
    } catch (const std::exception& exception) {
        result.error = exception.what();
        return result;
    }
    result.client = std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
    return result;
}

bool WsClient::send_text(const std::string& message) {
    beast::error_code error;
    m_impl->ws.text(true);
    m_impl->ws.write(asio::buffer(message), error);
    return !error;
}

bool WsClient::send_binary(const std::string& message) {
    beast::error_code error;
    m_impl->ws.binary(true);
    m_impl->ws.write(asio::buffer(message), error);
    return !error;
}

std::optional<WsClient::Message> WsClient::read(std::chrono::milliseconds timeout) {
    auto& impl = *m_impl;
    if (impl.inbox.empty() && !m_closed) {
        if (!impl.reading && !impl.failure) {
            impl.read_next();
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        impl.io.restart();
        while (impl.inbox.empty() && impl.reading && std::chrono::steady_clock::now() < deadline) {
            impl.io.run_one_until(deadline);
        }
        if (impl.inbox.empty() && impl.failure) {
            m_closed = true;
            if (impl.failure == websocket::error::closed) {
                m_close_code = impl.ws.reason().code;
                m_close_reason = std::string(impl.ws.reason().reason.c_str());
            }
        }
    }
    if (impl.inbox.empty()) {
        return std::nullopt;
    }
    auto message = std::move(impl.inbox.front());
    impl.inbox.pop_front();
    return message;
}

void WsClient::close() {
    if (m_closed) {
        return;
    }
    beast::error_code error;
    if (m_impl->reading) {
        // A read is outstanding: close asynchronously, and let that read see the server's close.
        m_impl->ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
        m_impl->io.restart();
        m_impl->io.run_for(std::chrono::seconds(5));
    } else {
        m_impl->ws.close(websocket::close_code::normal, error);
    }
    m_closed = true;
}

} // namespace atelier::testing
