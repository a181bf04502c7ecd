// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace atelier::testing {

/// tests/support/fake_model_server.py as a child process on a free loopback port: a scripted
/// model that speaks the Anthropic and OpenAI wire protocols (see the script's docstring).
class FakeModelServer {
public:
    /// Starts the server; null (with the reason in `error`) when it did not come up.
    [[nodiscard]] static std::unique_ptr<FakeModelServer> start(std::string* error = nullptr);
    ~FakeModelServer();
    FakeModelServer(const FakeModelServer&) = delete;
    FakeModelServer& operator=(const FakeModelServer&) = delete;

    [[nodiscard]] std::uint16_t port() const { return m_port; }
    /// "http://127.0.0.1:PORT", the hub's `model.base_url` for the Anthropic format; add "/v1"
    /// for the OpenAI one.
    [[nodiscard]] std::string base_url() const;
    /// Replaces the scripted replies (`{"replies": [...]}`) and forgets the recorded requests.
    bool script(const nlohmann::json& script);
    /// The model requests received since the last script(): [{path, headers, body}].
    [[nodiscard]] nlohmann::json requests() const;

private:
    FakeModelServer() = default;
    pid_t m_pid = -1;
    std::uint16_t m_port = 0;
};

} // namespace atelier::testing
