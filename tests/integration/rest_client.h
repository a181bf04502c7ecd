// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace atelier::testing {

/// One REST answer: status, lower-cased headers, the raw body and, when it is JSON, the parse.
struct RestReply {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string raw;
    nlohmann::json body; ///< null when the body is empty or not JSON
};

/// Sends `body` (already JSON text, or empty) with `Authorization: Bearer token`.
[[nodiscard]] RestReply rest(std::uint16_t port, const std::string& token, const std::string& method,
                             const std::string& target, const std::string& body = {});
[[nodiscard]] RestReply rest_json(std::uint16_t port, const std::string& token, const std::string& method,
                                  const std::string& target, const nlohmann::json& body);

/// Creates a project and returns its id (empty, with a test failure, when creation failed).
[[nodiscard]] std::string create_project(std::uint16_t port, const std::string& token, const std::string& name,
                                         const std::string& kind = "blender");

/// POST /api/tokens as the admin: a token for `user` (created when missing).
[[nodiscard]] std::string create_user_token(std::uint16_t port, const std::string& admin_token,
                                            const std::string& user);

/// The CRUD scenario every backend must pass: create, list, get, rename, versions, delete.
void expect_project_crud_works(std::uint16_t port, const std::string& token);

} // namespace atelier::testing
