// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/retry_policy.h"
#include "agent/wire_format.h"
#include "core/result.h"
#include "net/http_client.h"

namespace atelier::agent {

/// What the browser is told before a model request is tried again.
struct RetryNotice {
    int attempt = 0;      ///< the retry about to happen, from 1
    int max_attempts = 0; ///< retries allowed
    std::chrono::milliseconds delay{0};
    std::string reason;
    int status = 0; ///< the HTTP status, 0 for connection errors and errors inside a stream
};

/// Streams one model reply over HTTP(S), retrying per the RetryPolicy. Blocking; one call at a
/// time per thread, any number of threads at once.
class ModelClient {
public:
    ModelClient(ModelSettings settings, std::unique_ptr<WireFormat> format, RetryPolicy policy);

    [[nodiscard]] const ModelSettings& settings() const { return m_settings; }
    [[nodiscard]] std::string_view provider() const { return m_format->name(); }

    /// The assistant's reply to `request`. `on_text` gets text deltas as they stream (after a
    /// retry the reply streams again from the start); `on_retry` runs before each wait. Errors:
    /// Cancelled (`cancel` raised; the connection is closed at once), or the provider's failure
    /// with its own message (Unauthorized/Forbidden/NotFound/InvalidArgument for refusals that
    /// are never retried, Unavailable/Timeout once retries are spent).
    [[nodiscard]] Result<ModelReply> complete(const ModelRequest& request,
                                              const std::function<void(std::string_view)>& on_text,
                                              const std::function<void(const RetryNotice&)>& on_retry,
                                              net::CancelSignal& cancel) const;

private:
    [[nodiscard]] ModelResult<ModelReply> attempt(const net::ClientRequest& http,
                                                  const std::function<void(std::string_view)>& on_text,
                                                  net::CancelSignal& cancel) const;

    ModelSettings m_settings;
    std::unique_ptr<WireFormat> m_format;
    RetryPolicy m_policy;
    /// Keeps the provider's connection (and its TLS session) open from one step to the next.
    mutable net::HttpClient m_http;
};

/// Waits `delay` unless `cancel` is raised first; false when it was.
[[nodiscard]] bool wait_unless_cancelled(std::chrono::milliseconds delay, net::CancelSignal& cancel);

} // namespace atelier::agent
