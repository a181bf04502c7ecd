// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace atelier::engines {

/// Where an HTTP API lives and how to authenticate to it: the Docker Engine API on a Unix socket,
/// or a Kubernetes API server over TLS with a bearer token or a client certificate.
struct ApiEndpoint {
    /// "http://docker" for a Unix socket (the host part is only the Host header), else
    /// "https://10.0.0.1:6443".
    std::string base_url;
    /// When set, every request goes over this Unix socket (libcurl's CURLOPT_UNIX_SOCKET_PATH).
    std::filesystem::path unix_socket;
    std::string bearer_token;
    std::string ca_pem;          ///< trusted CA certificates (PEM); empty: the system's
    std::string client_cert_pem; ///< TLS client certificate (PEM), from a kubeconfig
    std::string client_key_pem;
    bool skip_tls_verify = false; ///< a kubeconfig's insecure-skip-tls-verify (development only)
    /// Names the API in error messages: "docker (/var/run/docker.sock)".
    std::string label;
};

struct ApiResponse {
    long status = 0;
    std::string body;
};

/// A small blocking HTTP/1.1 client over libcurl (the only place the hub uses libcurl). libcurl
/// was chosen over the hub's own Beast client because it already speaks HTTP over a Unix socket,
/// TLS with in-memory CA and client certificates (kubeconfigs carry them inline), and streamed
/// bodies, and because the calls here are few and may block: they run on launch, monitor and
/// worker threads, never on the network threads.
/// Thread-safe: every call uses its own connection.
class ApiClient {
public:
    explicit ApiClient(ApiEndpoint endpoint);

    /// One request; any HTTP status is a success here (callers read it). Fails with Unavailable
    /// when the API cannot be reached, Timeout after `timeout`.
    [[nodiscard]] Result<ApiResponse> request(std::string_view method, const std::string& path,
                                              const std::string& body = {},
                                              std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                              std::string_view content_type = "application/json") const;

    /// A request whose response body is handed to `on_data` as it arrives, until the server ends
    /// it, `on_data` returns false or `cancel` becomes true (checked at least once a second). No
    /// overall timeout. Returns the HTTP status; a body cut short by us is not an error.
    [[nodiscard]] Result<long> stream(std::string_view method, const std::string& path, const std::string& body,
                                      const std::function<bool(std::string_view)>& on_data,
                                      const std::atomic<bool>* cancel = nullptr) const;

    [[nodiscard]] const ApiEndpoint& endpoint() const { return m_endpoint; }

private:
    ApiEndpoint m_endpoint;
};

/// Percent-encodes `text` for a URL query value.
[[nodiscard]] std::string url_encode(std::string_view text);

/// The `message` of a Docker or Kubernetes error body, else the body itself (clipped).
[[nodiscard]] std::string api_error_message(const ApiResponse& response);

} // namespace atelier::engines
