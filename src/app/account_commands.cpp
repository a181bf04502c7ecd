// SPDX-License-Identifier: Apache-2.0
#include "app/account_commands.h"

#include <cstdio>
#include <iostream>
#include <optional>

#include "api/accounts.h"
#include "app/store_setup.h"

namespace atelier::app {
namespace {

int report(const Error& error) {
    std::fprintf(stderr, "atelier: %s\n", error.message.c_str());
    return error.code == ErrorCode::InvalidConfig ? 2 : 1;
}

/// The first line of standard input without its line ending, or nothing at end of input.
std::optional<std::string> read_password() {
    std::string line;
    if (!std::getline(std::cin, line)) {
        return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

} // namespace

int add_user_command(const Config& config, const std::string& name, PasswordInput password_input) {
    std::optional<std::string> password;
    if (password_input == PasswordInput::Stdin) {
        password = read_password();
        if (!password || password->empty()) {
            return report({ErrorCode::InvalidArgument, "--password-stdin: no password on standard input"});
        }
    }
    auto hub_store = open_hub_store(config);
    if (!hub_store) {
        return report(hub_store.error());
    }
    auto user = hub_store->store->create_user({name, password, store::UserRole::Member});
    if (!user) {
        return report(user.error());
    }
    std::printf("created user %s (id %s)\n", user->name.c_str(), user->id.c_str());
    return 0;
}

int create_token_command(const Config& config, const std::string& user, const std::string& label) {
    auto hub_store = open_hub_store(config);
    if (!hub_store) {
        return report(hub_store.error());
    }
    auto ensured = api::find_or_create_user(*hub_store->store, user);
    if (!ensured) {
        return report(ensured.error());
    }
    if (ensured->origin == api::UserOrigin::Created) {
        std::fprintf(stderr, "atelier: created user %s\n", ensured->user.name.c_str());
    }
    auto token = hub_store->store->create_token(ensured->user.id, label);
    if (!token) {
        return report(token.error());
    }
    // Only the token on stdout, so `TOKEN=$(atelier token create --user alice)` works.
    std::fprintf(stderr, "atelier: a new token for %s — it is shown only now, keep it safe\n",
                 ensured->user.name.c_str());
    std::printf("%s\n", token->secret.c_str());
    return 0;
}

} // namespace atelier::app
