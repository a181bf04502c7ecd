// SPDX-License-Identifier: Apache-2.0
#include "store/secrets.h"

#include <array>
#include <cstdlib>
#include <mutex>

#include <sodium.h>

#include "core/ids.h"

namespace atelier::store {
namespace {

void ensure_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        // sodium_init only fails when no entropy source exists, and then nothing here can work;
        // the failure shows up as libsodium aborting on first use rather than as silent weakness.
        if (sodium_init() < 0) {
            std::abort();
        }
    });
}

std::string to_hex(const unsigned char* data, std::size_t size) {
    std::string out(size * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, size);
    out.pop_back();
    return out;
}

} // namespace

Result<std::string> hash_password(std::string_view password) {
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return fail(ErrorCode::Unavailable, "not enough memory to hash the password");
    }
    return std::string(out.data());
}

bool password_matches(std::string_view hash, std::string_view password) {
    ensure_sodium();
    const std::string terminated(hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void burn_password_check(std::string_view password) {
    static const std::string kDummy = hash_password("atelier-no-such-user").value_or(std::string());
    (void)password_matches(kDummy, password);
}

std::string new_token_secret() {
    return "atl_" + random_hex(32);
}

std::string token_hash(std::string_view secret) {
    ensure_sodium();
    std::array<unsigned char, crypto_generichash_BYTES> digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(secret.data()),
                       secret.size(), nullptr, 0);
    return to_hex(digest.data(), digest.size());
}

} // namespace atelier::store
