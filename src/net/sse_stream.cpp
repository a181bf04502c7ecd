// SPDX-License-Identifier: Apache-2.0
#include <deque>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/beast.h"
#include "net/server_context.h"

namespace atelier::net::detail {
namespace {

std::string format_event(std::string_view event, std::string_view data, std::string_view id) {
    std::string out;
    if (!id.empty()) {
        out += fmt::format("id: {}\n", id);
    }
    if (!event.empty()) {
        out += fmt::format("event: {}\n", event);
    }
    std::size_t start = 0;
    while (true) {
        const auto end = data.find('\n', start);
        out += fmt::format("data: {}\n", data.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    out += '\n';
    return out;
}

class SseSession final : public std::enable_shared_from_this<SseSession>, public SseStream, public Closable {
public:
    SseSession(beast::tcp_stream stream, ServerContext& context, AddressLease lease)
        : m_stream(std::move(stream)), m_context(context), m_heartbeat(m_stream.get_executor()),
          m_id(context.next_id()), m_lease(std::move(lease)) {}

    void start(const Headers& extra_headers) {
        m_context.connections.add(m_id, weak_from_this());
        m_context.sse_streams.add(1);
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                           "X-Accel-Buffering: no\r\nConnection: close\r\nServer: atelier/" ATELIER_VERSION "\r\n";
        for (const auto& [name, value] : extra_headers.fields()) {
            head += fmt::format("{}: {}\r\n", name, value);
        }
        head += "\r\n";
        m_pending.push_back(std::move(head));
        m_pending_bytes = m_pending.back().size();
        auto self = shared_from_this();
        asio::dispatch(m_stream.get_executor(), [self] {
            self->write_next();
            self->watch_client();
            self->schedule_heartbeat();
        });
    }

    ~SseSession() override { m_context.sse_streams.add(-1); }

    void send(std::string_view event, std::string_view data, std::string_view id) override {
        enqueue(format_event(event, data, id));
    }

    void close() override {
        asio::post(m_stream.get_executor(), [self = shared_from_this()] {
            self->m_close_after_flush = true;
            if (!self->m_writing) {
                self->finish();
            }
        });
    }

    void on_close(std::function<void()> callback) override {
        asio::post(m_stream.get_executor(), [self = shared_from_this(), callback = std::move(callback)]() mutable {
            if (self->m_finished) {
                callback();
            } else {
                self->m_on_close = std::move(callback);
            }
        });
    }

    void shutdown() override { close(); }

private:
    void enqueue(std::string text) {
        asio::post(m_stream.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
            if (self->m_finished || self->m_close_after_flush) {
                return;
            }
            if (self->m_pending_bytes + text.size() > self->m_context.options.ws_send_queue_bytes) {
                spdlog::warn("sse stream {}: client is not reading, closing", self->m_id);
                return self->finish();
            }
            self->m_pending_bytes += text.size();
            self->m_pending.push_back(std::move(text));
            self->write_next();
        });
    }

    void write_next() {
        if (m_writing || m_finished) {
            return;
        }
        if (m_pending.empty()) {
            if (m_close_after_flush) {
                finish();
            }
            return;
        }
        m_writing = true;
        m_current = std::move(m_pending.front());
        m_pending.pop_front();
        m_pending_bytes -= m_current.size();
        m_stream.expires_after(m_context.options.close_timeout);
        asio::async_write(m_stream, asio::buffer(m_current),
                          [self = shared_from_this()](beast::error_code error, std::size_t) {
                              self->m_writing = false;
                              if (error) {
                                  return self->finish();
                              }
                              self->m_stream.expires_never();
                              self->write_next();
                          });
    }

    // The client never sends anything on an SSE stream; a completed read means it went away.
    void watch_client() {
        m_stream.socket().async_read_some(asio::buffer(m_sink),
                                          [self = shared_from_this()](beast::error_code error, std::size_t) {
                                              if (error) {
                                                  return self->finish();
                                              }
                                              self->watch_client();
                                          });
    }

    void schedule_heartbeat() {
        m_heartbeat.expires_after(m_context.options.sse_heartbeat);
        m_heartbeat.async_wait([self = shared_from_this()](beast::error_code error) {
            if (error || self->m_finished) {
                return;
            }
            self->enqueue(": heartbeat\n\n");
            self->schedule_heartbeat();
        });
    }

    void finish() {
        if (m_finished) {
            return;
        }
        m_finished = true;
        m_heartbeat.cancel();
        m_pending.clear();
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        m_stream.close();
        m_context.connections.remove(m_id);
        m_lease.reset(); // closed: the address's slot is free even if a subscriber still holds the stream
        if (m_on_close) {
            std::exchange(m_on_close, nullptr)();
        }
    }

    beast::tcp_stream m_stream;
    ServerContext& m_context;
    asio::steady_timer m_heartbeat;
    std::uint64_t m_id;
    AddressLease m_lease;
    std::deque<std::string> m_pending;
    std::size_t m_pending_bytes = 0;
    std::string m_current;
    std::array<char, 512> m_sink{};
    std::function<void()> m_on_close;
    bool m_writing = false;
    bool m_close_after_flush = false;
    bool m_finished = false;
};

} // namespace

std::shared_ptr<SseStream> start_sse(beast::tcp_stream stream, Headers extra_headers, ServerContext& context,
                                     AddressLease lease) {
    auto session = std::make_shared<SseSession>(std::move(stream), context, std::move(lease));
    session->start(extra_headers);
    return session;
}

} // namespace atelier::net::detail
