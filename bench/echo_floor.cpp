// SPDX-License-Identifier: Apache-2.0
// The floor: a bare Boost.Beast WebSocket echo server with nothing else in the path (no router,
// no auth, no queues, no metrics). The hub's figures are reported as a ratio to this, measured in
// the same run on the same machine.
//
//   echo_floor [threads]     prints "listening PORT" once ready; runs until killed

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

class EchoSession : public std::enable_shared_from_this<EchoSession> {
public:
    explicit EchoSession(tcp::socket socket) : m_ws(std::move(socket)) {}

    void start() {
        m_ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        m_ws.async_accept([self = shared_from_this()](beast::error_code error) {
            if (!error) {
                self->read();
            }
        });
    }

private:
    void read() {
        m_ws.async_read(m_buffer, [self = shared_from_this()](beast::error_code error, std::size_t) {
            if (error) {
                return;
            }
            self->m_ws.text(self->m_ws.got_text());
            self->m_ws.async_write(self->m_buffer.data(), [self](beast::error_code write_error, std::size_t) {
                if (write_error) {
                    return;
                }
                self->m_buffer.consume(self->m_buffer.size());
                self->read();
            });
        });
    }

    websocket::stream<beast::tcp_stream> m_ws;
    beast::flat_buffer m_buffer;
};

void accept(tcp::acceptor& acceptor, asio::io_context& io) {
    acceptor.async_accept(asio::make_strand(io), [&acceptor, &io](beast::error_code error, tcp::socket socket) {
        if (!error) {
            socket.set_option(tcp::no_delay(true));
            std::make_shared<EchoSession>(std::move(socket))->start();
        }
        accept(acceptor, io);
    });
}

} // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::stoi(argv[1]) : 2;
    asio::io_context io(threads);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    accept(acceptor, io);
    std::printf("listening %u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) {
        pool.emplace_back([&io] { io.run(); });
    }
    io.run();
    for (auto& thread : pool) {
        thread.join();
    }
}
