// SPDX-License-Identifier: Apache-2.0
#include <boost/asio/dispatch.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/beast.h"
#include "net/send_queue.h"
#include "net/server_context.h"

namespace atelier::net::detail {
namespace {

constexpr std::size_t kMaxCloseReason = 123; // RFC 6455: the close payload is at most 125 bytes
constexpr std::size_t kReadChunk = 64 * 1024;

class WebSocketSession final : public std::enable_shared_from_this<WebSocketSession>,
                               public WebSocketConnection,
                               public Closable {
public:
    WebSocketSession(beast::tcp_stream stream, HttpRequest request, std::shared_ptr<WebSocketHandler> handler,
                     ServerContext& context, AddressLease lease)
        : m_ws(std::move(stream)), m_request(std::move(request)), m_handler(std::move(handler)), m_context(context),
          m_metrics(WebSocketMetrics::for_path(context.metrics, m_request.path)),
          m_queue(context.options.ws_send_queue_bytes), m_teardown_timer(m_ws.get_executor()), m_id(context.next_id()),
          m_lease(std::move(lease)) {}

    void start(http::request<http::string_body> upgrade) {
        websocket::stream_base::timeout timeout{};
        timeout.handshake_timeout = std::chrono::seconds(10);
        timeout.idle_timeout = m_context.options.ws_idle_timeout;
        timeout.keep_alive_pings = true;
        m_ws.set_option(timeout);
        m_ws.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& response) { response.set(http::field::server, "atelier/" ATELIER_VERSION); }));
        // Limits are enforced here, per message type, while reading in chunks: a message over the
        // limit is discarded as it streams in and the connection closes cleanly with 1009 (a
        // Beast-side limit would drop the socket with unread data, and the client could lose the
        // close frame to the resulting reset).
        m_ws.read_message_max(0);
        m_ws.auto_fragment(false);
        m_upgrade.emplace(std::move(upgrade));
        asio::dispatch(m_ws.get_executor(), [self = shared_from_this()] {
            self->m_ws.async_accept(*self->m_upgrade, [self](beast::error_code error) { self->on_accept(error); });
        });
    }

    // dispatch, not post: a handler answering from inside on_text is already on this strand, and
    // queueing the reply there directly saves a trip through the scheduler per message.
    void send_text(std::string message) override {
        asio::dispatch(m_ws.get_executor(), [self = shared_from_this(), message = std::move(message)]() mutable {
            if (self->m_close_requested) {
                return;
            }
            if (self->m_queue.push_text(std::move(message)) == SendQueue::PushResult::Overflow) {
                spdlog::warn("websocket {} ({}): send queue over {} bytes, closing: the client is not reading",
                             self->m_id, self->m_request.path, self->m_context.options.ws_send_queue_bytes);
                self->m_queue.clear();
                return self->begin_close(1008, "send queue overflow: the client is not reading");
            }
            self->write_next();
        });
    }

    void send_binary(std::string message) override {
        asio::dispatch(m_ws.get_executor(), [self = shared_from_this(), message = std::move(message)]() mutable {
            if (self->m_close_requested) {
                return;
            }
            if (self->m_queue.set_binary(std::move(message))) {
                self->m_context.binary_frames_dropped.increment();
            }
            self->write_next();
        });
    }

    void close(std::uint16_t code, std::string reason) override {
        asio::post(m_ws.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
            self->begin_close(code, std::move(reason));
        });
    }

    void shutdown() override { close(1001, "server shutting down"); }

    [[nodiscard]] std::uint64_t id() const override { return m_id; }
    [[nodiscard]] const HttpRequest& request() const override { return m_request; }

private:
    void on_accept(beast::error_code error) {
        m_upgrade.reset();
        if (error) {
            spdlog::debug("websocket handshake on {} failed: {}", m_request.path, error.message());
            return;
        }
        m_open = true;
        m_context.connections.add(m_id, weak_from_this());
        m_context.websocket_connections.add(1);
        spdlog::info("websocket {} opened on {} from {}", m_id, m_request.path, m_request.remote_address);
        m_handler->on_open(shared_from_this());
        if (m_context.stopping) {
            begin_close(1001, "server shutting down");
        }
        read();
    }

    void read() {
        m_ws.async_read_some(
            m_read_buffer, kReadChunk,
            [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
    }

    void on_read(beast::error_code error) {
        if (error) {
            if (error == websocket::error::closed) {
                const auto& reason = m_ws.reason();
                return finish(CloseInfo{reason.code, std::string(reason.reason.c_str())});
            }
            return finish(CloseInfo{m_sent_close_code != 0 ? m_sent_close_code : std::uint16_t{1006}, error.message()});
        }
        const bool is_text = m_ws.got_text();
        const std::size_t limit = is_text ? m_context.options.ws_max_text_bytes : m_context.options.ws_max_binary_bytes;
        if (m_discarding || m_read_buffer.size() > limit) {
            if (!m_discarding) {
                m_discarding = true;
                spdlog::warn("websocket {} ({}): {} message over {} bytes, closing with 1009", m_id, m_request.path,
                             is_text ? "text" : "binary", limit);
                begin_close(1009, fmt::format("{} message larger than {} bytes", is_text ? "text" : "binary", limit));
            }
            m_read_buffer.clear();
            if (m_ws.is_message_done()) {
                m_discarding = false;
            }
            return read();
        }
        if (!m_ws.is_message_done()) {
            return read();
        }
        m_metrics.messages_in.increment();
        m_metrics.bytes_in.increment(m_read_buffer.size());
        std::string message = beast::buffers_to_string(m_read_buffer.data());
        m_read_buffer.clear();
        if (!m_close_requested) {
            try {
                if (is_text) {
                    m_handler->on_text(shared_from_this(), std::move(message));
                } else {
                    m_handler->on_binary(shared_from_this(), std::move(message));
                }
            } catch (const std::exception& exception) {
                spdlog::error("websocket {} ({}): handler threw: {}", m_id, m_request.path, exception.what());
                begin_close(1011, "internal error");
            }
        }
        read();
    }

    void write_next() {
        if (m_writing || m_closing_sent) {
            return;
        }
        auto frame = m_queue.pop();
        if (!frame) {
            if (m_close_requested) {
                send_close();
            }
            return;
        }
        m_writing = true;
        m_current = std::move(frame->data);
        m_ws.text(frame->is_text);
        m_ws.async_write(asio::buffer(m_current), [self = shared_from_this()](beast::error_code error, std::size_t n) {
            self->on_write(error, n);
        });
    }

    void on_write(beast::error_code error, std::size_t bytes) {
        m_writing = false;
        m_current.clear();
        if (error) {
            return tear_down();
        }
        m_metrics.messages_out.increment();
        m_metrics.bytes_out.increment(bytes);
        write_next();
    }

    void begin_close(std::uint16_t code, std::string reason) {
        if (m_close_requested || !m_open) {
            return;
        }
        m_close_requested = true;
        if (reason.size() > kMaxCloseReason) {
            reason.resize(kMaxCloseReason);
        }
        m_close_code = code;
        m_close_reason = std::move(reason);
        // Text already queued (e.g. the error that explains the close) still goes out first;
        // frames are stale by now.
        m_queue.drop_binary();
        // A write stuck on a client that does not read would hold the close frame back forever.
        m_teardown_timer.expires_after(m_context.options.close_timeout);
        m_teardown_timer.async_wait([self = shared_from_this()](beast::error_code error) {
            if (!error) {
                self->tear_down();
            }
        });
        write_next();
    }

    void send_close() {
        m_closing_sent = true;
        m_sent_close_code = m_close_code;
        m_ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(m_close_code), m_close_reason),
                         [self = shared_from_this()](beast::error_code error) {
                             if (error) {
                                 self->tear_down();
                             }
                             // Otherwise the pending read completes with `closed` and finishes.
                         });
    }

    void tear_down() {
        beast::error_code ignored;
        beast::get_lowest_layer(m_ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(m_ws).close();
    }

    void finish(const CloseInfo& info) {
        if (m_finished || !m_open) {
            return;
        }
        m_finished = true;
        m_teardown_timer.cancel();
        m_queue.clear();
        m_context.connections.remove(m_id);
        m_context.websocket_connections.add(-1);
        m_lease.reset(); // closed: the address's slot is free even if a handler still holds this object
        spdlog::info("websocket {} on {} closed ({} {})", m_id, m_request.path, info.code, info.reason);
        try {
            m_handler->on_close(shared_from_this(), info);
        } catch (const std::exception& exception) {
            spdlog::error("websocket {} ({}): close handler threw: {}", m_id, m_request.path, exception.what());
        }
    }

    websocket::stream<beast::tcp_stream> m_ws;
    HttpRequest m_request;
    std::shared_ptr<WebSocketHandler> m_handler;
    ServerContext& m_context;
    WebSocketMetrics m_metrics;
    SendQueue m_queue;
    asio::steady_timer m_teardown_timer;
    std::uint64_t m_id;
    AddressLease m_lease; // the client address's connection slot, freed with the session
    std::optional<http::request<http::string_body>> m_upgrade;
    beast::flat_buffer m_read_buffer;
    std::string m_current;
    std::string m_close_reason;
    std::uint16_t m_close_code = 1000;
    std::uint16_t m_sent_close_code = 0;
    bool m_open = false;
    bool m_writing = false;
    bool m_close_requested = false;
    bool m_closing_sent = false;
    bool m_finished = false;
    bool m_discarding = false;
};

} // namespace

void start_websocket(beast::tcp_stream stream, http::request<http::string_body> upgrade, HttpRequest request,
                     std::shared_ptr<WebSocketHandler> handler, ServerContext& context, AddressLease lease) {
    auto session = std::make_shared<WebSocketSession>(std::move(stream), std::move(request), std::move(handler),
                                                      context, std::move(lease));
    session->start(std::move(upgrade));
}

} // namespace atelier::net::detail
