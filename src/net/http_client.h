// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace atelier::net {

/// A one-shot "stop now" flag that other threads can raise. Work under way registers a handler
/// that interrupts it (closes a socket, cancels an engine call). Thread-safe.
class CancelSignal {
public:
    using HandlerId = std::uint64_t;

    /// Raises the flag and runs every registered handler once, on this thread.
    void cancel();
    [[nodiscard]] bool cancelled() const;
    /// Registers `handler`; it runs at once (on this thread) when the flag is already raised.
    HandlerId on_cancel(std::function<void()> handler);
    /// Unregisters; once this returns the handler is not running and never will.
    void remove(HandlerId id);

private:
    mutable std::mutex m_mutex;
    bool m_cancelled = false;
    HandlerId m_next = 1;
    std::map<HandlerId, std::function<void()>> m_handlers;
};

/// `scheme://host[:port][/path]`; only http and https.
struct Url {
    std::string scheme;
    std::string host;
    std::uint16_t port = 0;
    std::string target = "/"; ///< path and query

    [[nodiscard]] static Result<Url> parse(std::string_view text);
    [[nodiscard]] bool is_https() const { return scheme == "https"; }
};

struct ClientRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds connect_timeout{15'000};
    /// Longest silence while waiting for the response head or the next body bytes.
    std::chrono::milliseconds read_timeout{300'000};
};

struct ClientResponseHead {
    int status = 0;
    std::map<std::string, std::string> headers; ///< names lower-cased
};

/// `https_proxy`/`HTTPS_PROXY` for this host, honouring `no_proxy`/`NO_PROXY`; nullopt: direct.
[[nodiscard]] std::optional<Url> https_proxy_for(const std::string& host);

/// Sends HTTP/1.1 requests and keeps their connections open for the next request to the same
/// scheme://host:port (keep-alive; connections idle over 30 s are dropped), so a TLS handshake
/// is paid once per connection, not once per request. A request on a kept connection that the
/// server has closed meanwhile goes again on a new one. Thread-safe: each connection serves one
/// request at a time; requests from many threads at once each get their own.
class HttpClient {
public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// As http_stream below, on a kept connection when there is one.
    [[nodiscard]] Result<void> stream(const ClientRequest& request,
                                      const std::function<void(const ClientResponseHead&)>& on_head,
                                      const std::function<bool(std::string_view)>& on_body,
                                      CancelSignal* cancel = nullptr);

    struct Connection; ///< in http_client.cpp

private:
    std::unique_ptr<Connection> take_idle(const std::string& key);
    void put_idle(std::unique_ptr<Connection> connection);

    std::mutex m_mutex;
    std::multimap<std::string, std::unique_ptr<Connection>> m_idle;
};

/// One HTTP/1.1 request over a fresh connection: plain TCP for http://, TLS (OpenSSL, the system
/// CA store, host name verification, SNI) for https:// — through an HTTPS_PROXY CONNECT tunnel
/// when one is set. Blocks the calling thread: `on_head` runs once with the status and headers,
/// then `on_body` with each piece of the (de-chunked) body as it arrives; `on_body` returning
/// false stops reading. Errors: Cancelled (`cancel` raised), Timeout, Unavailable (DNS,
/// connection, TLS or a connection dropped mid-response), InvalidArgument (bad URL).
[[nodiscard]] Result<void> http_stream(const ClientRequest& request,
                                       const std::function<void(const ClientResponseHead&)>& on_head,
                                       const std::function<bool(std::string_view)>& on_body,
                                       CancelSignal* cancel = nullptr);

} // namespace atelier::net
