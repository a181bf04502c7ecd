// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "core/config.h"

namespace atelier::app {

enum class PasswordInput { None, Stdin };

/// `atelier user add NAME [--password-stdin]`: creates a member account in the configured store
/// (the same data dir or database `serve` would use). Returns the process exit code; errors are
/// one line on stderr.
[[nodiscard]] int add_user_command(const Config& config, const std::string& name, PasswordInput password);

/// `atelier token create --user NAME [--label L]`: creates the user when missing and prints a new
/// API token on stdout — the only time it is ever shown.
[[nodiscard]] int create_token_command(const Config& config, const std::string& user, const std::string& label);

} // namespace atelier::app
