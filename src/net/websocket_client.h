// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace atelier::net {

/// A blocking WebSocket client over plain TCP (`http://host:port/path`; https is refused), for
/// command-line clients of a hub such as `atelier eval`. Text messages only: binary ones
/// (viewport frames) are skipped. One thread at a time.
class WebSocketClient {
public:
    /// Opens the connection and completes the upgrade with `headers` (e.g. Authorization).
    /// Errors: InvalidArgument (bad or https URL), Unavailable (connection refused, upgrade
    /// refused, with the status), Timeout.
    [[nodiscard]] static Result<std::unique_ptr<WebSocketClient>>
    connect(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
            std::chrono::milliseconds timeout);
    ~WebSocketClient();
    WebSocketClient(const WebSocketClient&) = delete;
    WebSocketClient& operator=(const WebSocketClient&) = delete;

    [[nodiscard]] Result<void> send(std::string_view text);
    /// The next text message. Errors: Timeout when nothing came within `timeout` (the connection
    /// stays usable), Unavailable when it closed or failed.
    [[nodiscard]] Result<std::string> read(std::chrono::milliseconds timeout);
    /// A normal close; errors are ignored.
    void close();

private:
    struct Impl;
    explicit WebSocketClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace atelier::net
