// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace atelier::store {

/// Internal: the libsodium side of users and tokens. Thread-safe.

/// An argon2id hash in libsodium's self-describing string form (salt and cost included).
/// Costs libsodium's "interactive" limits: about 64 MiB and a tenth of a second.
[[nodiscard]] Result<std::string> hash_password(std::string_view password);

/// Whether `password` matches `hash`; the work done does not depend on where they differ.
[[nodiscard]] bool password_matches(std::string_view hash, std::string_view password);

/// Spends the same time as password_matches against a real hash, for unknown users, so a
/// login attempt does not reveal whether the name exists.
void burn_password_check(std::string_view password);

/// A new token secret: "atl_" and 64 hex digits (256 random bits).
[[nodiscard]] std::string new_token_secret();

/// Keyless BLAKE2b-256 of the secret as hex. Tokens are random, so no salt or stretching is
/// needed: the hash only keeps a leaked database from yielding usable tokens.
[[nodiscard]] std::string token_hash(std::string_view secret);

} // namespace atelier::store
