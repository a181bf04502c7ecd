// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace atelier::testing {

/// Header names are lower-cased; a header sent several times has its values on separate lines.
struct HttpResult {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
    std::string error; ///< set when no response could be read
};

/// One request over a fresh loopback connection (real sockets, Beast on the client side).
/// `raw_target` is sent exactly as given.
[[nodiscard]] HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& raw_target,
                                      const std::map<std::string, std::string>& headers = {},
                                      const std::string& body = {});

/// Sends `raw` bytes as they are and returns everything the server answers until it closes.
[[nodiscard]] std::string raw_exchange(std::uint16_t port, const std::string& raw);

/// A blocking WebSocket client for tests and benchmarks.
class WsClient {
public:
    struct Connect {
        std::unique_ptr<WsClient> client; ///< null when the upgrade failed
        int status = 0;                   ///< the HTTP status of a refused upgrade
        std::string error;
    };
    [[nodiscard]] static Connect connect(std::uint16_t port, const std::string& path,
                                         const std::map<std::string, std::string>& headers = {});
    ~WsClient();

    bool send_text(const std::string& message);
    bool send_binary(const std::string& message);

    struct Message {
        bool is_text = true;
        std::string data;
    };
    /// The next message, or nullopt when the connection closed, failed or `timeout` passed.
    [[nodiscard]] std::optional<Message> read(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// The close code received from the server (0 if none) and its reason.
    [[nodiscard]] std::uint16_t close_code() const { return m_close_code; }
    [[nodiscard]] const std::string& close_reason() const { return m_close_reason; }
    [[nodiscard]] bool closed() const { return m_closed; }
    void close();

private:
    struct Impl;
    explicit WsClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
    std::uint16_t m_close_code = 0;
    std::string m_close_reason;
    bool m_closed = false;
};

} // namespace atelier::testing
